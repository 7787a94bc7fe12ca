// The care app: the nurse's live worklist (and the unit's wall display), the unit overview and the
// unit's notification policy, the patient with charts, video meetings, push notifications, the
// tertial report and administration.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "../shared/base.css";
import "./care.css";
import { setLang } from "../shared/i18n";
import { AdminPage } from "./admin";
import { TextField } from "./fields";
import { MeetingRoom, MeetingsPage } from "./meetings";
import { UnitOverview } from "./overview";
import { PatientPage, PatientsPage } from "./patient";
import { PolicyPage } from "./policy";
import { PushToggle, registerServiceWorker } from "./push";
import { ReportPage } from "./report";
import { api, type Me, navigate, ok, onLink, session, useRoute, useT } from "./state";
import { WallDisplay, Worklist } from "./worklist";

type Ended = "none" | "signed-out" | "expired";

function App() {
  const { t } = useT();
  const [signedIn, setSignedIn] = useState(session.signedIn);
  const [ended, setEnded] = useState<Ended>("none");
  const [me, setMe] = useState<Me | null>(null);

  useEffect(
    () =>
      session.subscribe(() => {
        const now = session.signedIn;
        setSignedIn((before) => {
          // Signed out by the server (a refresh refused) or in another tab: say so clearly.
          if (before && !now) setEnded((e) => (e === "signed-out" ? e : "expired"));
          return now;
        });
      }),
    [],
  );
  useEffect(() => {
    if (!signedIn) {
      setMe(null);
      return;
    }
    setEnded("none");
    api.GET("/api/v1/me").then(
      (r) => (r.response.ok ? setMe(ok(r)) : r.response.status === 401 && session.clear()),
      () => undefined,
    );
  }, [signedIn]);

  const signOut = async () => {
    setEnded("signed-out");
    try {
      await api.POST("/api/v1/auth/logout");
    } finally {
      session.clear();
      navigate("", true);
    }
  };

  if (!signedIn) return <SignIn ended={ended} />;
  if (!me) return <p class="page">{t("loading")}</p>;
  return <Shell me={me} onSignOut={signOut} />;
}

function SignIn({ ended }: { ended: Ended }) {
  const { t, lang } = useT();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [showForm, setShowForm] = useState(ended === "none");
  useEffect(() => setShowForm(ended === "none"), [ended]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const response = await fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
    }).catch(() => null);
    setBusy(false);
    if (response?.ok) {
      session.store(await response.json());
      return;
    }
    setError(response?.status === 429 ? `${response.status}: ${response.statusText}` : t("signInFailed"));
  };

  return (
    <main class="page signin">
      <h1>{t("appName")}</h1>
      <LanguageSwitch />
      {!showForm ? (
        <section aria-labelledby="ended-title" class="ended">
          <h2 id="ended-title">{ended === "expired" ? t("sessionEnded") : t("signedOutText")}</h2>
          {ended === "expired" && <p>{t("sessionEndedText")}</p>}
          <button type="button" onClick={() => setShowForm(true)}>
            {t("signInAgain")}
          </button>
        </section>
      ) : (
        <form onSubmit={submit} lang={lang}>
          <TextField
            label={t("username")}
            name="username"
            autoComplete="username"
            required
            value={username}
            onValue={setUsername}
          />
          <TextField
            label={t("password")}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onValue={setPassword}
          />
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" disabled={busy}>
            {t("signIn")}
          </button>
        </form>
      )}
    </main>
  );
}

function LanguageSwitch() {
  const { t, lang } = useT();
  return (
    <button type="button" class="secondary lang" onClick={() => setLang(lang === "nb" ? "en" : "nb")}>
      {t("language")}
    </button>
  );
}

function Shell({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const { t } = useT();
  const { path, query } = useRoute();
  const clinician = me.role === "clinician";
  const [section, id, part] = path.split("/");
  const policy = section === "units" && id && part === "notifications";

  if (section === "wall" && clinician) return <WallDisplay unitId={query.get("unit") ?? ""} />;

  const links: [string, string][] = clinician
    ? [
        ["", t("navWorklist")],
        ["units", t("navUnits")],
        ["patients", t("navPatients")],
        ["meetings", t("navMeetings")],
        ["report", t("navReport")],
      ]
    : [["admin", t("navAdmin")]];

  let page = null;
  if (policy) page = <PolicyPage key={id} unitId={id} admin={!clinician} />;
  else if (!clinician) page = <AdminPage />;
  else if (section === "" || section === "alerts")
    page = <Worklist focus={section === "alerts" ? id : undefined} />;
  else if (section === "units") page = <UnitOverview unitId={id} />;
  else if (section === "patients" && id)
    page = <PatientPage patientId={id} tab={query.get("tab") ?? "charts"} />;
  else if (section === "patients") page = <PatientsPage />;
  else if (section === "meetings" && id) page = <MeetingRoom meetingId={id} me={me} />;
  else if (section === "meetings") page = <MeetingsPage />;
  else if (section === "report") page = <ReportPage />;
  else page = <p>{t("notFound")}</p>;

  return (
    <>
      <a class="skip" href="#main">
        {t("appName")}
      </a>
      <header class="topbar">
        <span class="brand">Heima</span>
        <nav aria-label={t("mainNav")}>
          {links.map(([href, label]) => {
            const current =
              href === section || (href === "" && section === "alerts") || (href === "admin" && !clinician);
            return (
              <a
                key={href}
                href={`/care/${href}`}
                onClick={onLink}
                aria-current={current ? "page" : undefined}
              >
                {label}
              </a>
            );
          })}
        </nav>
        <span class="who">{me.display_name}</span>
        {clinician && <PushToggle />}
        <LanguageSwitch />
        <button type="button" class="secondary" onClick={onSignOut}>
          {t("signOut")}
        </button>
      </header>
      <main id="main" class="content" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

registerServiceWorker();
const root = document.getElementById("root");
if (root) render(<App />, root);
