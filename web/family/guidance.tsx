// Guidance when it matters: an alert in an upload's answer carries the unit's message for the
// family in both languages. It is shown at once, above everything, until the parent says they have
// read it; a high one says "call 113" in large red letters with a button that calls.

import { useEffect, useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { local } from "../shared/i18n";
import { useApp, useT } from "./app";
import type { Guidance } from "./outbox";
import { api } from "./state";
import { formatDateTime } from "./time";

export function GuidanceBanner({
  guidance,
  onDismiss,
}: {
  guidance: Guidance[];
  onDismiss: (id: string) => void;
}) {
  const { t, lang } = useT();
  if (!guidance.length) return null;
  const severityOrder = { high: 0, medium: 1, low: 2 } as Record<string, number>;
  const sorted = [...guidance].sort(
    (a, b) => (severityOrder[a.alert.severity] ?? 3) - (severityOrder[b.alert.severity] ?? 3),
  );
  return (
    <section aria-label={t("guidanceTitle")} class="guidance">
      {sorted.map((g) => (
        <div
          key={g.alert.id}
          class={`notice ${g.alert.severity}`}
          role="alert"
          data-severity={g.alert.severity}
        >
          <p class="guidance-text">{local(g.alert.message, lang)}</p>
          <div class="row">
            {g.alert.severity === "high" && (
              <a class="button danger call" href="tel:113">
                {t("call113")}
              </a>
            )}
            <button type="button" class="secondary" onClick={() => onDismiss(g.alert.id)}>
              {t("dismiss")}
            </button>
          </div>
        </div>
      ))}
    </section>
  );
}

/** Every alert of the selected child(ren), as the unit sees its status (where a push leads). */
export function GuidanceScreen() {
  const { t, lang, locale, selected } = useApp();
  const [alerts, setAlerts] = useState<(Schemas["PatientAlert"] & { patient: string })[] | null>(null);
  useEffect(() => {
    let live = true;
    void Promise.all(
      selected.map(async (patient) => {
        const { data } = await api.GET("/api/v1/patients/{patient_id}/alerts", {
          params: { path: { patient_id: patient.id } },
        });
        return (data?.items ?? []).map((alert) => ({ ...alert, patient: patient.display_name }));
      }),
    )
      .then((lists) => live && setAlerts(lists.flat()))
      .catch(() => live && setAlerts([]));
    return () => {
      live = false;
    };
  }, [selected]);
  return (
    <section>
      <h1>{t("guidanceTitle")}</h1>
      {alerts === null ? (
        <p role="status">{t("loading")}</p>
      ) : alerts.length === 0 ? (
        <p>{t("noGuidance")}</p>
      ) : (
        <ul class="plain">
          {alerts.map((alert) => (
            <li key={alert.id} class={`notice ${alert.severity}`}>
              <p>{local(alert.message, lang)}</p>
              <p class="small-text">
                {selected.length > 1 && `${alert.patient} · `}
                {formatDateTime(alert.raised_at, locale)} ·{" "}
                {alert.acknowledged_at || alert.resolved_at ? t("alertSeen") : t("alertOpen")}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
