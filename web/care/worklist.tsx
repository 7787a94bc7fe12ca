// The worklist: unresolved alerts of the nurse's units, most urgent first, updated live. And the
// wall display: the same list large and read-only, with patients shown by initials only.
import { memo } from "preact/compat";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { AlertHistory } from "./alert-history";
import { SelectField, SeverityOptions, TextAreaField, UnitField } from "./fields";
import { connectLive, type LiveAlertEvent } from "./live";
import {
  type Alert,
  alertExplanation,
  alertTitle,
  api,
  elapsed,
  formatTime,
  initials,
  type MyUnit,
  navigate,
  ok,
  onLink,
  SEVERITY_RANK,
  useT,
} from "./state";

type Status = "unresolved" | "open" | "acknowledged" | "resolved";
type SeverityFilter = "" | "high" | "medium" | "low";

function sortAlerts(alerts: Alert[]): Alert[] {
  return [...alerts].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      a.raised_at.localeCompare(b.raised_at) ||
      a.id.localeCompare(b.id),
  );
}

/** The alerts of the filter, live: re-read on every (re)connection, merged on every event. */
function useLiveAlerts(unitId: string, status: Status) {
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [connected, setConnected] = useState(false);
  const [newHigh, setNewHigh] = useState<Alert | null>(null);
  const [error, setError] = useState<string | null>(null);
  const known = useRef(new Set<string>());
  const first = useRef(true);

  useEffect(() => {
    let current = true;
    first.current = true;
    const reload = async () => {
      try {
        const items: Alert[] = [];
        let cursor: string | undefined;
        do {
          const query = {
            limit: 500,
            ...(unitId ? { unit_id: unitId } : {}),
            ...(status !== "unresolved" ? { status } : {}),
            ...(cursor ? { cursor } : {}),
          };
          const page = ok(await api.GET("/api/v1/alerts", { params: { query } }));
          items.push(...page.items);
          cursor = page.next_cursor ?? undefined;
        } while (cursor && items.length < 5000);
        if (!current) return;
        // A high alert this page had not seen (after the first load) is announced.
        if (!first.current) {
          const fresh = items.find(
            (a) => a.severity === "high" && a.status === "open" && !known.current.has(a.id),
          );
          if (fresh) setNewHigh(fresh);
        }
        for (const a of items) known.current.add(a.id);
        first.current = false;
        setAlerts(sortAlerts(items));
        setError(null);
      } catch (e) {
        if (current) setError((e as Error).message);
      }
    };
    let pending: number | undefined;
    const reloadSoon = () => {
      window.clearTimeout(pending);
      pending = window.setTimeout(reload, 150);
    };
    const stop = connectLive({
      onOpen: () => {
        setConnected(true);
        void reload();
      },
      onDown: () => setConnected(false),
      onAlert: (event: LiveAlertEvent) => {
        setAlerts((list) => {
          if (!list) return list;
          const index = list.findIndex((a) => a.id === event.id);
          const wanted = status === "unresolved" ? event.status !== "resolved" : event.status === status;
          if (index >= 0 && !wanted) return list.filter((a) => a.id !== event.id);
          if (index >= 0) {
            const merged = { ...list[index], ...event } as Alert;
            return sortAlerts(list.map((a) => (a.id === event.id ? merged : a)));
          }
          // Someone else's change of an alert we do not list, or a new one: read it with its details.
          if (wanted) reloadSoon();
          return list;
        });
      },
    });
    void reload();
    return () => {
      current = false;
      window.clearTimeout(pending);
      stop();
    };
  }, [unitId, status]);

  return { alerts, setAlerts, connected, newHigh, dismissNewHigh: () => setNewHigh(null), error };
}

export function useMyUnits(): MyUnit[] {
  const [units, setUnits] = useState<MyUnit[]>([]);
  useEffect(() => {
    void api.GET("/api/v1/me/units").then((r) => setUnits(r.data?.items ?? []));
  }, []);
  return units;
}

export function Worklist({ focus }: { focus?: string }) {
  const { t, lang } = useT();
  const units = useMyUnits();
  const [unitId, setUnitId] = useState("");
  const [severity, setSeverity] = useState<SeverityFilter>("");
  const [status, setStatus] = useState<Status>("unresolved");
  const { alerts, setAlerts, connected, newHigh, dismissNewHigh, error } = useLiveAlerts(unitId, status);
  const shown = useMemo(
    () => (alerts ?? []).filter((a) => !severity || a.severity === severity),
    [alerts, severity],
  );
  // Stable, so that a change of one alert re-renders its row only (rows are memoised).
  const replace = useCallback(
    (updated: Alert) =>
      setAlerts((list) => {
        if (!list) return list;
        const keep = status === "unresolved" ? updated.status !== "resolved" : updated.status === status;
        return sortAlerts(
          keep
            ? list.map((a) => (a.id === updated.id ? updated : a))
            : list.filter((a) => a.id !== updated.id),
        );
      }),
    [status, setAlerts],
  );

  useEffect(() => {
    const open = (alerts ?? []).filter((a) => a.status === "open").length;
    document.title = open ? `(${open}) ${t("worklistTitle")} – Heima` : `${t("worklistTitle")} – Heima`;
  }, [alerts, t]);

  return (
    <section aria-labelledby="worklist-title">
      <div class="toolbar">
        <h1 id="worklist-title">{t("worklistTitle")}</h1>
        <span class={`live-dot ${connected ? "on" : "off"}`} role="status">
          {connected ? t("live") : t("reconnecting")}
        </span>
        <a class="button secondary" href={`/care/wall${unitId ? `?unit=${unitId}` : ""}`} onClick={onLink}>
          {t("navWall")}
        </a>
      </div>
      {newHigh && (
        <div class="banner danger" role="alert">
          <strong>
            {t("newHighAlert", { title: alertTitle(newHigh, lang), patient: newHigh.patient_name })}
          </strong>
          <button type="button" class="secondary" onClick={dismissNewHigh}>
            {t("dismiss")}
          </button>
        </div>
      )}
      <div class="filters">
        <UnitField units={units} value={unitId} onValue={setUnitId} allUnits />
        <SelectField label={t("severity")} value={severity} onValue={setSeverity}>
          <option value="">{t("allSeverities")}</option>
          <SeverityOptions />
        </SelectField>
        <SelectField label={t("status")} value={status} onValue={setStatus}>
          <option value="unresolved">{t("unresolved")}</option>
          <option value="open">{t("open")}</option>
          <option value="acknowledged">{t("acknowledged")}</option>
          <option value="resolved">{t("resolved")}</option>
        </SelectField>
      </div>
      {error && <p class="error">{t("error", { detail: error })}</p>}
      {alerts === null ? (
        <p>{t("loading")}</p>
      ) : shown.length === 0 ? (
        <p>{t("noAlerts")}</p>
      ) : (
        <ul class="alerts" aria-label={t("alertCount", { n: shown.length })}>
          {shown.map((alert) => (
            <WorklistRow
              key={alert.id}
              alert={alert}
              onChange={replace}
              expanded={alert.id === focus}
              showPatient
            />
          ))}
        </ul>
      )}
    </section>
  );
}

export function SeverityBadge({ severity }: { severity: Alert["severity"] }) {
  const { t } = useT();
  return <span class={`badge sev-${severity}`}>{t(severity)}</span>;
}

/** Whether anybody could be told of an unresolved alert: nothing while pushes go out or went
 * through; "nobody notified" (every push failed, or nobody has notifications on: only this list
 * shows it) and "morning digest" (a low alert out of hours) are said. */
function ReachBadge({ alert }: { alert: Pick<Alert, "reach" | "status"> }) {
  const { t } = useT();
  if (alert.status === "resolved") return null;
  if (alert.reach === "unreachable") {
    return (
      <span class="badge unreachable" title={t("unreachableHelp")}>
        {t("unreachable")}
      </span>
    );
  }
  if (alert.reach === "digest") {
    return (
      <span class="badge digest" title={t("digestHelp")}>
        {t("digest")}
      </span>
    );
  }
  return null;
}

/** One alert: the summary line, and on demand its explanation, evidence and history. */
export function AlertItem({
  alert,
  onChange,
  expanded = false,
  showPatient = false,
}: {
  alert: Alert;
  onChange: (alert: Alert) => void;
  expanded?: boolean;
  showPatient?: boolean;
}) {
  const { t, lang } = useT();
  const [open, setOpen] = useState(expanded);
  const [resolving, setResolving] = useState(false);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const item = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (expanded) item.current?.scrollIntoView({ block: "center" });
  }, [expanded]);

  const act = async (action: () => Promise<Alert>) => {
    setBusy(true);
    setError(null);
    try {
      onChange(await action());
      setResolving(false);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const acknowledge = () =>
    act(async () =>
      ok(
        await api.POST("/api/v1/alerts/{alert_id}/acknowledge", { params: { path: { alert_id: alert.id } } }),
      ),
    );
  const resolve = (event: Event) => {
    event.preventDefault();
    void act(async () =>
      ok(
        await api.POST("/api/v1/alerts/{alert_id}/resolve", {
          params: { path: { alert_id: alert.id } },
          body: { note },
        }),
      ),
    );
  };
  const detailsId = `alert-${alert.id}`;
  const value = (v: Alert["worst_value"]) =>
    v === null || v === undefined ? "–" : `${String(v)} ${alert.unit ?? ""}`;

  return (
    <li ref={item} class={`alert sev-${alert.severity} status-${alert.status}`} data-alert-id={alert.id}>
      <div class="alert-line">
        <SeverityBadge severity={alert.severity} />
        <div class="alert-main">
          <strong>{alertTitle(alert, lang)}</strong>
          {showPatient && (
            <a href={`/care/patients/${alert.patient_id}`} onClick={onLink} class="patient-link">
              {alert.patient_name}
            </a>
          )}
          <span class="meta">
            {t(alert.status)} · {t("waited")} {elapsed(alert.raised_at)} · ×{alert.occurrences}
            {alert.late && (
              <span class="badge late" title={t("lateDataHelp")}>
                {t("lateData")}
              </span>
            )}
            <ReachBadge alert={alert} />
          </span>
        </div>
        <div class="alert-actions">
          <button
            type="button"
            class="secondary"
            aria-expanded={open}
            aria-controls={detailsId}
            onClick={() => setOpen(!open)}
          >
            {t("details")}
          </button>
          {alert.status === "open" && (
            <button type="button" onClick={acknowledge} disabled={busy}>
              {t("acknowledge")}
            </button>
          )}
          {alert.status !== "resolved" && (
            <button type="button" class="secondary" onClick={() => setResolving(true)} disabled={busy}>
              {t("resolve")}
            </button>
          )}
        </div>
      </div>
      {resolving && (
        <form class="resolve" onSubmit={resolve}>
          <TextAreaField label={t("resolveNote")} required maxLength={2000} value={note} onValue={setNote} />
          <button type="submit" disabled={busy || !note.trim()}>
            {t("save")}
          </button>
          <button type="button" class="secondary" onClick={() => setResolving(false)}>
            {t("cancel")}
          </button>
        </form>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div id={detailsId} hidden={!open} class="alert-details">
        <h3>{t("explanation")}</h3>
        <p class="explanation">{alertExplanation(alert, lang)}</p>
        <dl>
          <dt>{t("occurrences")}</dt>
          <dd>{alert.occurrences}</dd>
          <dt>{t("worstValue")}</dt>
          <dd>{value(alert.worst_value)}</dd>
          <dt>{t("latestValue")}</dt>
          <dd>
            {value(alert.latest_value)}{" "}
            {alert.observed_at && `(${t("measuredAt")} ${formatTime(alert.observed_at, lang)})`}
            {alert.late && ` – ${t("lateDataHelp")}`}
          </dd>
        </dl>
        <h3>{t("history")}</h3>
        {open && <AlertHistory alert={alert} />}
      </div>
    </li>
  );
}

/** A worklist row: re-rendered only when its alert (or focus) changes, so a live event or an
 * acknowledgement on a list of hundreds redraws one row, not all of them. */
const WorklistRow = memo(AlertItem);

/** The unit's wall screen: large, read-only, initials only (no names, no values, no actions). */
export function WallDisplay({ unitId }: { unitId: string }) {
  const { t, lang } = useT();
  const { alerts, connected } = useLiveAlerts(unitId, "unresolved");
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => tick((n) => n + 1), 30_000);
    document.body.classList.add("wall-mode");
    return () => {
      window.clearInterval(timer);
      document.body.classList.remove("wall-mode");
    };
  }, []);
  return (
    <section class="wall" aria-labelledby="wall-title">
      <div class="toolbar">
        <h1 id="wall-title">
          {t("wallTitle")} ({alerts?.length ?? 0})
        </h1>
        <span class={`live-dot ${connected ? "on" : "off"}`} role="status">
          {connected ? t("live") : t("reconnecting")}
        </span>
        <button type="button" class="secondary" onClick={() => navigate("")}>
          {t("leaveWall")}
        </button>
      </div>
      <p class="meta">{t("wallNote")}</p>
      <ul class="wall-list">
        {(alerts ?? []).map((alert) => (
          <li key={alert.id} class={`wall-item sev-${alert.severity} status-${alert.status}`}>
            <SeverityBadge severity={alert.severity} />
            <span class="wall-initials">{initials(alert.patient_name)}</span>
            <span class="wall-title">{alertTitle(alert, lang)}</span>
            <span class="wall-waited">
              {t(alert.status)} · {elapsed(alert.raised_at)} <ReachBadge alert={alert} />
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
