// More: notifications (this phone's permission, and which kinds of push the person wants), "who has
// seen my data" (the access log in plain words), the signed-in devices with a way to sign one out,
// and signing this device out.

import { useEffect, useRef, useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { signOutHere, useApp } from "./app";
import { enablePush, pushState } from "./push";
import { api } from "./state";
import type { TextKey } from "./texts";
import { formatDateTime } from "./time";

export function More({ onProfileChanged }: { onProfileChanged: () => void }) {
  const { t, profile } = useApp();
  return (
    <>
      <h1>{t("moreTitle")}</h1>
      <Notifications />
      {profile.me.role === "guardian" && <AddChild onAdded={onProfileChanged} />}
      <AccessLog />
      <Devices />
      <p>
        <button type="button" class="secondary" onClick={() => void signOutHere(t)}>
          {t("signOut")}
        </button>
      </p>
    </>
  );
}

function Notifications() {
  const { t } = useApp();
  const [state, setState] = useState<string>("unknown");
  useEffect(() => {
    void pushState().then(setState);
  }, []);
  const message: Record<string, string> = {
    on: t("notificationsOn"),
    blocked: t("notificationsBlocked"),
    failed: t("notificationsFailed"),
    unsupported: t("notificationsUnsupported"),
  };
  return (
    <section class="card" aria-labelledby="push-title">
      <h2 id="push-title">{t("notificationsTitle")}</h2>
      <p>{t("notificationsIntro")}</p>
      {message[state] ? (
        <p class={`notice ${state === "on" ? "ok" : "warn"}`} role="status" data-testid="push-state">
          {message[state]}
        </p>
      ) : null}
      {state !== "on" && state !== "unsupported" && state !== "blocked" && (
        <button type="button" onClick={() => void enablePush().then(setState)}>
          {t("allowNotifications")}
        </button>
      )}
      <PushKinds />
    </section>
  );
}

type Settings = Schemas["FamilyNotificationSettings"];
type PushKind = keyof Settings;
type Outcome = { kind: PushKind; result: "saved" | "offline" | "failed" };

const PUSH_KINDS: { kind: PushKind; label: TextKey; hint: TextKey }[] = [
  { kind: "seen", label: "pushSeen", hint: "pushSeenHint" },
  { kind: "handled", label: "pushHandled", hint: "pushHandledHint" },
  { kind: "reminder", label: "pushReminder", hint: "pushReminderHint" },
  { kind: "meeting", label: "pushMeeting", hint: "pushMeetingHint" },
];

/** One switch per kind of push. The choices are the person's (`/me/notification-settings`), kept by
 * the server for all their phones, so they are shown whether or not this phone may show pushes. A
 * change shows at once and is saved at once; one that cannot be saved is undone and said, so once
 * the answer is in, the switch shows what the server has. */
function PushKinds() {
  const { t, online } = useApp();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  // Kinds whose change is on its way: a tap on one is ignored until its answer is in, so answers
  // cannot cross.
  const saving = useRef(new Set<PushKind>());
  const loaded = settings !== null;

  useEffect(() => {
    if (loaded) return;
    let live = true;
    api
      .GET("/api/v1/me/notification-settings")
      .then(({ data }) => {
        if (!live) return;
        if (data) setSettings(data);
        setUnavailable(!data);
      })
      .catch(() => live && setUnavailable(true));
    return () => {
      live = false;
    };
  }, [online, loaded]);

  const change = async (kind: PushKind, on: boolean) => {
    const before = !on;
    saving.current.add(kind);
    setOutcome(null);
    setSettings((old) => old && { ...old, [kind]: on });
    let result: Outcome["result"];
    try {
      const { data } = await api.PUT("/api/v1/me/notification-settings", { body: { [kind]: on } });
      if (data) setSettings((old) => old && { ...old, [kind]: data[kind] });
      result = data ? "saved" : navigator.onLine ? "failed" : "offline";
    } catch {
      result = "offline";
    }
    if (result !== "saved") setSettings((old) => old && { ...old, [kind]: before });
    saving.current.delete(kind);
    setOutcome({ kind, result });
  };

  return (
    <fieldset class="push-kinds">
      <legend>{t("pushKindsTitle")}</legend>
      <p class="small-text muted">{t("pushKindsIntro")}</p>
      {!settings ? (
        unavailable ? (
          <p class="notice warn">{t("pushKindsUnavailable")}</p>
        ) : (
          <p role="status">{t("loading")}</p>
        )
      ) : (
        PUSH_KINDS.map(({ kind, label, hint }) => {
          const said = outcome?.kind === kind ? outcome.result : null;
          const described = said ? `push-${kind}-hint push-${kind}-outcome` : `push-${kind}-hint`;
          return (
            <div key={kind} class="push-kind">
              <label class="switch">
                <input
                  type="checkbox"
                  role="switch"
                  checked={settings[kind]}
                  aria-checked={settings[kind]}
                  aria-describedby={described}
                  data-testid={`push-${kind}`}
                  onClick={(event) => {
                    if (saving.current.has(kind)) event.preventDefault();
                  }}
                  onChange={(event) => void change(kind, event.currentTarget.checked)}
                />
                <span>{t(label)}</span>
              </label>
              <p id={`push-${kind}-hint`} class="small-text muted">
                {t(hint)}
              </p>
              {said === "saved" && (
                <p id={`push-${kind}-outcome`} class="small-text ok-text" role="status">
                  {t("pushKindSaved")}
                </p>
              )}
              {(said === "offline" || said === "failed") && (
                <p id={`push-${kind}-outcome`} class="notice warn" role="alert">
                  {t(said === "offline" ? "pushKindOffline" : "pushKindFailed")}
                </p>
              )}
            </div>
          );
        })
      )}
    </fieldset>
  );
}

function AccessLog() {
  const { t, locale, selected } = useApp();
  const [entries, setEntries] = useState<(Schemas["AccessLogEntry"] & { patient: string })[] | null>(null);
  useEffect(() => {
    let live = true;
    void Promise.all(
      selected.map(async (patient) => {
        const { data } = await api.GET("/api/v1/patients/{patient_id}/access-log", {
          params: { path: { patient_id: patient.id }, query: { limit: 50 } },
        });
        return (data?.items ?? []).map((entry) => ({ ...entry, patient: patient.display_name }));
      }),
    )
      .then((lists) => live && setEntries(lists.flat().sort((a, b) => b.at.localeCompare(a.at))))
      .catch(() => live && setEntries([]));
    return () => {
      live = false;
    };
  }, [selected]);
  return (
    <section class="card" aria-labelledby="log-title">
      <h2 id="log-title">{t("accessLogTitle")}</h2>
      <p class="muted">{t("accessLogIntro")}</p>
      {entries === null ? (
        <p role="status">{t("loading")}</p>
      ) : (
        <ul class="plain log" data-testid="access-log">
          {entries.map((entry) => (
            <li key={`${entry.patient}-${entry.id}`}>
              <strong>{entry.actor_name}</strong>{" "}
              {entry.action === "read" ? t("accessRead") : t("accessWrite")} {entry.resource}
              {selected.length > 1 && ` (${entry.patient})`} {entry.outcome === "denied" && t("accessDenied")}
              <span class="small-text muted"> · {formatDateTime(entry.at, locale)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Devices() {
  const { t, locale } = useApp();
  const [devices, setDevices] = useState<Schemas["SessionInfo"][] | null>(null);
  const load = () =>
    void api
      .GET("/api/v1/me/sessions")
      .then(({ data }) => setDevices(data?.items ?? []))
      .catch(() => setDevices([]));
  useEffect(load, []);
  const signOut = async (device: Schemas["SessionInfo"]) => {
    if (device.current) {
      await signOutHere(t);
      return;
    }
    await api.DELETE("/api/v1/me/sessions/{session_id}", { params: { path: { session_id: device.id } } });
    load();
  };
  return (
    <section class="card" aria-labelledby="devices-title">
      <h2 id="devices-title">{t("devicesTitle")}</h2>
      {devices === null ? (
        <p role="status">{t("loading")}</p>
      ) : (
        <ul class="plain">
          {devices.map((device) => {
            const name = device.device_name ?? "–";
            return (
              <li key={device.id} class="row spread device">
                <span>
                  <strong>{name}</strong>
                  {device.current && ` (${t("thisDevice")})`}
                  <br />
                  <span class="small-text muted">
                    {t("signedInSince", { date: formatDateTime(device.created_at, locale) })}
                  </span>
                </span>
                <button type="button" class="secondary small" onClick={() => void signOut(device)}>
                  {t("signOutDevice", { name })}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <NewPhone />
    </section>
  );
}

/** A code that signs another phone into this same account (typed in on that phone, within minutes). */
function NewPhone() {
  const { t, locale } = useApp();
  const [code, setCode] = useState<Schemas["DeviceCode"] | null>(null);
  const [failed, setFailed] = useState(false);
  const make = async () => {
    try {
      const { data } = await api.POST("/api/v1/me/device-codes");
      setCode(data ?? null);
      setFailed(!data);
    } catch {
      setFailed(true);
    }
  };
  return (
    <div>
      <button type="button" class="secondary" onClick={() => void make()}>
        {t("newPhone")}
      </button>
      {code && (
        <p class="notice ok" role="status">
          {t("newPhoneCode", { code: code.code, until: formatDateTime(code.expires_at, locale) })}
        </p>
      )}
      {failed && <p class="notice warn">{t("activationOffline")}</p>}
    </div>
  );
}

/** A guardian code for another child (a twin), entered here on the signed-in phone. */
function AddChild({ onAdded }: { onAdded: () => void }) {
  const { t } = useApp();
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const { data, error: problem } = await api.POST("/api/v1/me/guardianships", {
        body: { code: code.trim() },
      });
      if (!data) {
        setError(problem ? t("activationFailed") : t("activationOffline"));
        return;
      }
      setCode("");
      setAdded(true);
      onAdded();
    } catch {
      setError(t("activationOffline"));
    }
  };
  return (
    <section class="card" aria-labelledby="add-child-title">
      <h2 id="add-child-title">{t("addChildTitle")}</h2>
      <p class="muted">{t("addChildIntro")}</p>
      <form onSubmit={submit}>
        <label for="child-code">{t("activationCode")}</label>
        <input
          id="child-code"
          class="code-input"
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
          autocomplete="one-time-code"
          required
        />
        {error && (
          <p class="notice high" role="alert">
            {error}
          </p>
        )}
        {added && (
          <p class="notice ok" role="status">
            {t("childAdded")}
          </p>
        )}
        <p>
          <button type="submit">{t("addChild")}</button>
        </p>
      </form>
    </section>
  );
}
