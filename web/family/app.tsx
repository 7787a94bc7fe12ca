// The family app's shell: activation, the profile, the header (pending indicator, language), the
// child switcher, guidance, and the screens by URL hash (#/, #/overview, #/video, #/more, #/guidance).

import { createContext } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import { type Lang, locale, setLang, translator, useLang } from "../shared/i18n";
import { Activate } from "./activate";
import type { Patient } from "./catalogue";
import { GuidanceBanner, GuidanceScreen } from "./guidance";
import { More } from "./more";
import type { Guidance, OutboxItem } from "./outbox";
import { Overview } from "./overview";
import { Register } from "./register";
import {
  api,
  cachedProfile,
  fetchProfile,
  forgetProfile,
  outbox,
  type Profile,
  session,
  storedGuidance,
  storeGuidance,
} from "./state";
import { texts } from "./texts";
import { VideoScreen } from "./video";

export type T = ReturnType<typeof translator<typeof texts>>;

export interface AppContext {
  lang: Lang;
  locale: string;
  t: T;
  profile: Profile;
  /** The children (or the patient themself) the parent is registering for now: one, or all. */
  selected: Patient[];
  outboxItems: OutboxItem[];
  online: boolean;
}

export const Ctx = createContext<AppContext | null>(null);

export function useApp(): AppContext {
  const context = useContext(Ctx);
  if (!context) throw new Error("useApp outside the app");
  return context;
}

export function useT(): { t: T; lang: Lang } {
  const lang = useLang();
  return { t: translator(texts, lang), lang };
}

const SELECTED_KEY = "heima.family.selected";
const BOTH = "both";

function useHashRoute(): string {
  const [route, setRoute] = useState(location.hash.replace(/^#/, "") || "/");
  useEffect(() => {
    const onHash = () => setRoute(location.hash.replace(/^#/, "") || "/");
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  return route;
}

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    return () => {
      window.removeEventListener("online", update);
      window.removeEventListener("offline", update);
    };
  }, []);
  return online;
}

export function App() {
  const { t, lang } = useT();
  const [signedIn, setSignedIn] = useState(session.signedIn);
  useEffect(() => session.subscribe(() => setSignedIn(session.signedIn)), []);
  return (
    <>
      <header class="topbar">
        <div class="page row topbar-row">
          <a class="brand" href="#/">
            {t("appName")}
          </a>
          <span class="spacer" />
          {signedIn && <PendingBadge />}
          <button
            type="button"
            class="secondary small"
            lang={lang === "nb" ? "en" : "nb"}
            onClick={() => setLang(lang === "nb" ? "en" : "nb")}
          >
            {t("switchLanguage")}
          </button>
        </div>
      </header>
      {signedIn ? <SignedIn /> : <Activate />}
    </>
  );
}

function PendingBadge() {
  const { t } = useT();
  const [items, setItems] = useState<OutboxItem[]>([]);
  useEffect(() => {
    const load = () => void outbox.items().then(setItems);
    load();
    return outbox.subscribe(load);
  }, []);
  const pending = items.filter((item) => item.status === "pending").length;
  return (
    <a
      href="#/overview"
      class={`pending ${pending ? "waiting" : ""}`}
      aria-live="polite"
      data-testid="pending"
    >
      {pending ? t("waiting", { count: pending }) : t("allSent")}
    </a>
  );
}

function SignedIn() {
  const { t, lang } = useT();
  const route = useHashRoute();
  const online = useOnline();
  const [profile, setProfile] = useState<Profile | null>(cachedProfile);
  const [selectedKey, setSelectedKey] = useState<string | null>(localStorage.getItem(SELECTED_KEY));
  const [outboxItems, setOutboxItems] = useState<OutboxItem[]>([]);
  const [guidance, setGuidance] = useState<Guidance[]>(storedGuidance);

  useEffect(() => {
    void fetchProfile().then((fresh) => {
      if (fresh) setProfile(fresh);
    });
  }, []);

  useEffect(() => {
    const load = () => void outbox.items().then(setOutboxItems);
    load();
    const unsubscribe = outbox.subscribe(load);
    outbox.onGuidance = (fresh) => {
      setGuidance((old) => {
        const known = new Set(old.map((g) => g.alert.id));
        const next = [...fresh.filter((g) => !known.has(g.alert.id)), ...old];
        storeGuidance(next);
        return next;
      });
    };
    // Send whenever the network is back, the app comes to the front, and every half minute.
    const sync = () => void outbox.sync();
    window.addEventListener("online", sync);
    document.addEventListener("visibilitychange", sync);
    const timer = setInterval(sync, 30_000);
    void outbox.prune().then(sync);
    return () => {
      unsubscribe();
      window.removeEventListener("online", sync);
      document.removeEventListener("visibilitychange", sync);
      clearInterval(timer);
    };
  }, []);

  const dismiss = useCallback((id: string) => {
    setGuidance((old) => {
      const next = old.filter((g) => g.alert.id !== id);
      storeGuidance(next);
      return next;
    });
  }, []);

  if (!profile) {
    return (
      <main class="page">
        <p role="status">{t("loading")}</p>
      </main>
    );
  }
  const patients = profile.patients;
  const selected =
    selectedKey === BOTH && patients.length > 1
      ? patients
      : [patients.find((p) => p.id === selectedKey) ?? patients[0]].filter(Boolean);
  const choose = (key: string) => {
    localStorage.setItem(SELECTED_KEY, key);
    setSelectedKey(key);
  };
  const context: AppContext = { lang, locale: locale(lang), t, profile, selected, outboxItems, online };
  return (
    <Ctx.Provider value={context}>
      <nav class="tabs" aria-label={t("appName")}>
        <div class="page row">
          <Tab href="#/" route={route} label={t("navRegister")} />
          <Tab href="#/overview" route={route} label={t("navHistory")} />
          <Tab href="#/video" route={route} label={t("navVideo")} />
          <Tab href="#/more" route={route} label={t("navMore")} />
        </div>
      </nav>
      <main class="page">
        {!online && <p class="notice warn">{t("offline")}</p>}
        <GuidanceBanner guidance={guidance} onDismiss={dismiss} />
        {patients.length > 1 && (
          <fieldset class="switcher">
            <legend>{t("chooseChild")}</legend>
            <div class="row">
              {patients.map((patient) => (
                <button
                  key={patient.id}
                  type="button"
                  class="secondary"
                  aria-pressed={selected.length === 1 && selected[0].id === patient.id}
                  onClick={() => choose(patient.id)}
                >
                  {patient.display_name}
                </button>
              ))}
              <button
                type="button"
                class="secondary"
                aria-pressed={selected.length > 1}
                onClick={() => choose(BOTH)}
              >
                {t("bothChildren")}
              </button>
            </div>
          </fieldset>
        )}
        <Screen
          route={route}
          onProfileChanged={() => void fetchProfile().then((fresh) => fresh && setProfile(fresh))}
        />
      </main>
    </Ctx.Provider>
  );
}

function Tab({ href, route, label }: { href: string; route: string; label: string }) {
  const current = `#${route}` === href || (href === "#/" && route === "/");
  return (
    <a href={href} class="tab" aria-current={current ? "page" : undefined}>
      {label}
    </a>
  );
}

function Screen({ route, onProfileChanged }: { route: string; onProfileChanged: () => void }) {
  if (route.startsWith("/overview")) return <Overview />;
  if (route.startsWith("/video")) return <VideoScreen />;
  if (route.startsWith("/more")) return <More onProfileChanged={onProfileChanged} />;
  if (route.startsWith("/guidance")) return <GuidanceScreen />;
  return <Register />;
}

/** Sign this device out: the server ends the token pair; the phone forgets what it kept (health
 * data). What has not reached the hospital yet is sent first; if some cannot be, the parent is
 * asked, since signing out then loses it. */
export async function signOutHere(t: T): Promise<boolean> {
  await outbox.sync();
  const waiting = (await outbox.items()).filter((item) => item.status === "pending").length;
  if (waiting > 0 && !confirm(t("confirmSignOut", { count: waiting }))) return false;
  try {
    await api.POST("/api/v1/auth/logout");
  } catch {
    // Offline: the tokens are forgotten here all the same; the server's expire on their own.
  }
  await outbox.clear();
  forgetProfile();
  session.clear();
  return true;
}
