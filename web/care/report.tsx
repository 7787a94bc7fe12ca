// The benefit report per tertial (GET /reports/tertial): per programme and unit, with a CSV download.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { local } from "../shared/i18n";
import { download } from "./download";
import { SelectField, TextField, UnitField } from "./fields";
import { api, formatNumber, ok, useLoad, useT } from "./state";
import { useMyUnits } from "./worklist";

function currentTertial(now = new Date()): { year: number; tertial: 1 | 2 | 3 } {
  const month = Number(
    new Intl.DateTimeFormat("en", { month: "numeric", timeZone: "Europe/Oslo" }).format(now),
  );
  const year = Number(
    new Intl.DateTimeFormat("en", { year: "numeric", timeZone: "Europe/Oslo" }).format(now),
  );
  return { year, tertial: month <= 4 ? 1 : month <= 8 ? 2 : 3 };
}

export function ReportPage() {
  const { t, lang } = useT();
  const units = useMyUnits();
  const start = currentTertial();
  const [year, setYear] = useState(start.year);
  const [tertial, setTertial] = useState<1 | 2 | 3>(start.tertial);
  const [unitId, setUnitId] = useState("");
  const [asked, setAsked] = useState({ year: start.year, tertial: start.tertial, unitId: "" });
  const programmes = useLoad(async () => ok(await api.GET("/api/v1/programmes")).items, []);
  const query = () => ({
    year: asked.year,
    tertial: asked.tertial,
    ...(asked.unitId ? { unit_id: asked.unitId } : {}),
  });
  const report = useLoad(
    async () => ok(await api.GET("/api/v1/reports/tertial", { params: { query: query() } })),
    [asked],
  );
  const title = (code: string) => local(programmes.data?.find((p) => p.code === code)?.title, lang) || code;
  const n = (value: number | null | undefined, digits = 1) =>
    value === null || value === undefined ? "–" : formatNumber(value, lang, digits);

  const downloadCsv = () => {
    const params = new URLSearchParams(Object.entries(query()).map(([k, v]) => [k, String(v)]));
    return download(
      `/api/v1/reports/tertial?${params}`,
      `heima-tertial-${asked.year}-T${asked.tertial}.csv`,
      "text/csv",
    );
  };

  return (
    <section aria-labelledby="report-title">
      <h1 id="report-title">{t("reportTitle")}</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ year, tertial, unitId });
        }}
      >
        <TextField
          label={t("year")}
          type="number"
          min={2000}
          max={2100}
          value={year}
          onValue={(v) => setYear(Number(v))}
        />
        <SelectField
          label={t("tertial")}
          value={String(tertial)}
          onValue={(v) => setTertial(Number(v) as 1 | 2 | 3)}
        >
          <option value={1}>{t("t1")}</option>
          <option value={2}>{t("t2")}</option>
          <option value={3}>{t("t3")}</option>
        </SelectField>
        <UnitField units={units} value={unitId} onValue={setUnitId} allUnits />
        <button type="submit">{t("show")}</button>
        <button type="button" class="secondary" onClick={downloadCsv}>
          {t("downloadCsv")}
        </button>
      </form>
      {report.error && <p class="error">{report.error.message}</p>}
      {report.data && (
        <>
          <p class="meta">
            {report.data.first_day} – {report.data.last_day} ({report.data.time_zone}).{" "}
            {!report.data.complete && t("running")}
          </p>
          {report.data.groups.length === 0 && <p>{t("noGroups")}</p>}
          {report.data.groups.map((g) => {
            const alerts = Object.fromEntries(g.alerts.map((a) => [a.severity, a]));
            return (
              <table
                class="grid report"
                key={`${g.programme}-${g.unit_id}`}
                data-programme={g.programme}
                data-unit={g.unit_id}
              >
                <caption>
                  {title(g.programme)} – {g.unit_name}
                </caption>
                <tbody>
                  <FigureRow label={t("patientsFollowed")} figure="patients_followed">
                    {g.patients_followed}
                  </FigureRow>
                  <FigureRow label={t("patientDays")} figure="patient_days">
                    {n(g.patient_days)}
                  </FigureRow>
                  <FigureRow label={t("registrations")} figure="registrations">
                    {g.registrations}
                  </FigureRow>
                  <FigureRow label={t("registrationDays")}>
                    {g.registration_days} / {n(g.expected_registration_days)}
                    {g.registration_completeness !== null &&
                      ` (${n(g.registration_completeness * 100, 0)} %)`}
                  </FigureRow>
                  {(["high", "medium", "low"] as const).map((s) => (
                    <FigureRow
                      key={s}
                      label={
                        <>
                          {t(s)}: {t("alertsPerWeek")} · {t("timeToAck")} · {t("timeToResolve")}
                        </>
                      }
                      figure={`alerts_${s}`}
                    >
                      {alerts[s]?.raised ?? 0} ({n(alerts[s]?.per_patient_week, 2)}) ·{" "}
                      {n(alerts[s]?.acknowledge_median_minutes)} / {n(alerts[s]?.acknowledge_p90_minutes)} ·{" "}
                      {n(alerts[s]?.resolve_median_minutes)} / {n(alerts[s]?.resolve_p90_minutes)}
                    </FigureRow>
                  ))}
                  <FigureRow label={t("contactRequests")}>
                    {g.contact_requests.received} ({g.contact_requests.handled},{" "}
                    {n(g.contact_requests.handle_median_minutes)})
                  </FigureRow>
                  <FigureRow label={t("meetingsHeld")}>
                    {g.meetings.consultations_held}/{g.meetings.consultations_planned} ·{" "}
                    {g.meetings.discharge_meetings_held}/{g.meetings.discharge_meetings_planned}
                  </FigureRow>
                  <FigureRow label={t("enrolmentsEnded")}>
                    {g.enrolments_ended.count}
                    {g.enrolments_ended.reasons.length > 0 &&
                      ` (${g.enrolments_ended.reasons.map((r) => `${r.reason ?? t("notGiven")}: ${r.count}`).join("; ")})`}
                  </FigureRow>
                </tbody>
              </table>
            );
          })}
        </>
      )}
    </section>
  );
}

/** One row of a group's table: what the figure is, and the figure (`figure` names it for scripts). */
function FigureRow({
  label,
  figure,
  children,
}: {
  label: ComponentChildren;
  figure?: string;
  children: ComponentChildren;
}) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td data-figure={figure}>{children}</td>
    </tr>
  );
}
