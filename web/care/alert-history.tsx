// An alert's history, who did what when (GET /alerts/{id}/events): read when the details are
// opened, and again whenever the alert changes (a new breach, acknowledged, resolved).
import type { Schemas } from "../shared/api";
import { type Alert, api, formatTime, ok, useLoad, useT } from "./state";

type AlertEvent = Schemas["AlertEvent"];

async function allEvents(alertId: string): Promise<AlertEvent[]> {
  const items: AlertEvent[] = [];
  let after = 0;
  for (;;) {
    const page = ok(
      await api.GET("/api/v1/alerts/{alert_id}/events", {
        params: { path: { alert_id: alertId }, query: { after, limit: 500 } },
      }),
    );
    items.push(...page.items);
    if (page.next_after === null || page.next_after === undefined) return items;
    after = page.next_after;
  }
}

export function AlertHistory({ alert }: { alert: Alert }) {
  const { t, lang } = useT();
  // What the alert row shows changing is what adds an event.
  const version = `${alert.status}|${alert.severity}|${alert.occurrences}|${alert.acknowledged_at}`;
  const events = useLoad(() => allEvents(alert.id), [alert.id, version]);
  if (events.error) return <p class="error">{events.error.message}</p>;
  if (!events.data) return <p>{t("loading")}</p>;
  const who = (e: AlertEvent) => e.actor_name ?? "Heima";
  const describe = (e: AlertEvent): string => {
    switch (e.kind) {
      case "raise":
        return t("evRaise", { rule: e.rule ?? "" });
      case "update":
        return (
          t("evUpdate", { rule: e.rule ?? "" }) +
          (e.severity_before ? ` (${t(e.severity_before)} → ${t(e.severity)})` : "")
        );
      case "acknowledge":
        return t("evAcknowledge", { who: who(e) });
      case "resolve":
        // Heima's own note has a bokmål wording; a clinician's is shown as written.
        return t("evResolve", { who: who(e), note: (lang === "nb" && e.note_nb) || e.note || "" });
      case "escalate":
        return t("evEscalate", {
          step: String(e.escalation_step ?? ""),
          circle: e.escalated_to === "unit" ? t("circleUnit") : t("circleUnitPhysicians"),
          count: String(e.recipients ?? 0),
        });
    }
  };
  return (
    <ol class="history">
      {events.data.map((e) => (
        <li key={e.id} data-event-kind={e.kind}>
          <time dateTime={e.at}>{formatTime(e.at, lang)}</time> {describe(e)}
          {e.observation_ids.length > 0 && (
            <span class="meta">
              {" "}
              ·{" "}
              {e.observation_ids.length === 1
                ? t("evEvidenceOne")
                : t("evEvidence", { count: String(e.observation_ids.length) })}
            </span>
          )}
          {e.late && <span class="badge late">{t("lateData")}</span>}
        </li>
      ))}
    </ol>
  );
}
