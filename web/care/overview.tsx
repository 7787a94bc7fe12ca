// The unit overview for the shift: each patient's worst alert, latest values, stale and late flags.
import { useEffect, useState } from "preact/hooks";
import { UnitField } from "./fields";
import { alertTitle, api, formatTime, ok, onLink, useLoad, useT } from "./state";
import { ColumnHeads } from "./tables";
import { SeverityBadge, useMyUnits } from "./worklist";

export function UnitOverview({ unitId }: { unitId?: string }) {
  const { t, lang } = useT();
  const units = useMyUnits();
  const [chosen, setChosen] = useState(unitId ?? "");
  useEffect(() => {
    if (!chosen && units.length > 0) setChosen(units[0].id);
  }, [units, chosen]);
  const overview = useLoad(
    async () =>
      chosen
        ? ok(await api.GET("/api/v1/units/{unit_id}/overview", { params: { path: { unit_id: chosen } } }))
        : null,
    [chosen],
  );

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">{t("overviewTitle")}</h1>
      <div class="filters">
        <UnitField units={units} value={chosen} onValue={setChosen} labelClass="inline" />
        {chosen && (
          <a class="button secondary" href={`/care/units/${chosen}/notifications`} onClick={onLink}>
            {t("policyLink")}
          </a>
        )}
      </div>
      {overview.error && <p class="error">{t("error", { detail: overview.error.message })}</p>}
      {overview.data && (
        <table class="grid">
          <ColumnHeads columns={[t("patient"), t("worstAlert"), t("latestValues")]} />
          <tbody>
            {overview.data.patients.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  <a href={`/care/patients/${p.id}`} onClick={onLink}>
                    {p.display_name}
                  </a>
                  <div class="meta">{p.programmes.join(", ")}</div>
                </th>
                <td>
                  {p.alerts[0] ? (
                    <>
                      <SeverityBadge severity={p.alerts[0].severity} /> {alertTitle(p.alerts[0], lang)}
                      <div class="meta">
                        {t("high")} {p.alert_counts.high} · {t("medium")} {p.alert_counts.medium} · {t("low")}{" "}
                        {p.alert_counts.low}
                      </div>
                    </>
                  ) : (
                    t("none")
                  )}
                </td>
                <td>
                  <ul class="values">
                    {p.latest.map((v) => (
                      <li key={v.type}>
                        <span class="type">{v.type}</span>{" "}
                        {v.components
                          ? Object.values(v.components).join("/")
                          : typeof v.value === "number"
                            ? v.value
                            : String(v.value ?? "")}{" "}
                        {v.unit} <span class="meta">{formatTime(v.measured_at, lang)}</span>
                        {v.late && <span class="badge late">{t("lateData")}</span>}
                        {v.stale && <span class="badge stale">{t("stale")}</span>}
                      </li>
                    ))}
                    {p.never_measured.length > 0 && (
                      <li class="meta">
                        {t("neverMeasured")}: {p.never_measured.join(", ")}
                      </li>
                    )}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
