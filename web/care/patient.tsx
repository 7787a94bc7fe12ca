// The patient: measurements as charts with their thresholds and as tables, form responses, the
// alert history, contact requests, the rules with this patient's overrides, enrolments, activation
// codes (text and QR code), guardians, the access log and the FHIR export. And the patient list
// with registration.
import { useMemo, useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { local } from "../shared/i18n";
import { ChartBlock, type DayBar, DayBars, LineChart, type Series, type Threshold } from "./charts";
import { download } from "./download";
import { FamilyAccess } from "./family-access";
import {
  CheckField,
  FormPanel,
  SelectField,
  SeverityOptions,
  TextAreaField,
  TextField,
  UnitField,
} from "./fields";
import { QrCode } from "./qr";
import {
  type Alert,
  ApiError,
  api,
  formatDate,
  formatTime,
  navigate,
  ok,
  onLink,
  session,
  useLoad,
  usePatientItems,
  useT,
} from "./state";
import { ColumnHeads } from "./tables";
import { texts } from "./texts";
import { AlertItem, useMyUnits } from "./worklist";

type Patient = Schemas["Patient"];
type Measurement = Schemas["Measurement"];
type Rule = Schemas["EffectiveRule"];
type Programme = Schemas["Programme"];

const TABS = ["charts", "forms", "alerts", "contacts", "rules", "people", "access"] as const;
const TAB_LABELS = {
  charts: "tabCharts",
  forms: "tabForms",
  alerts: "tabAlerts",
  contacts: "tabContacts",
  rules: "tabRules",
  people: "tabPeople",
  access: "tabAccess",
} as const;

export function PatientsPage() {
  const { t, lang } = useT();
  const units = useMyUnits();
  const list = useLoad(async () => ok(await api.GET("/api/v1/patients")).items, []);
  const [name, setName] = useState("");
  const [birth, setBirth] = useState("");
  const [unit, setUnit] = useState("");
  const [error, setError] = useState<string | null>(null);

  const register = async () => {
    setError(null);
    try {
      const patient = ok(
        await api.POST("/api/v1/patients", {
          body: {
            display_name: name,
            birth_date: birth,
            unit_id: unit || units[0]?.id || "",
            time_zone: "Europe/Oslo",
          },
        }),
      );
      navigate(`patients/${patient.id}?tab=people`);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="patients-title">
      <h1 id="patients-title">{t("patientsTitle")}</h1>
      {list.data && (
        <ul class="plain">
          {list.data.map((p) => (
            <li key={p.id}>
              <a href={`/care/patients/${p.id}`} onClick={onLink}>
                {p.display_name}
              </a>{" "}
              <span class="meta">{formatDate(p.birth_date, lang)}</span>
            </li>
          ))}
        </ul>
      )}
      <FormPanel action={t("registerPatient")} onSubmit={register} error={error}>
        <TextField label={t("name")} required maxLength={200} value={name} onValue={setName} />
        <TextField label={t("birthDate")} type="date" required value={birth} onValue={setBirth} />
        <UnitField units={units} value={unit} onValue={setUnit} />
      </FormPanel>
    </section>
  );
}

export function PatientPage({ patientId, tab }: { patientId: string; tab: string }) {
  const { t, lang } = useT();
  const patient = useLoad(
    async () =>
      ok(await api.GET("/api/v1/patients/{patient_id}", { params: { path: { patient_id: patientId } } })),
    [patientId],
  );
  const programmes = useLoad(async () => ok(await api.GET("/api/v1/programmes")).items, []);
  if (patient.error)
    return (
      <p class="error">
        {patient.error instanceof ApiError && patient.error.status === 404
          ? t("notFound")
          : patient.error.message}
      </p>
    );
  if (!patient.data || !programmes.data) return <p>{t("loading")}</p>;
  const p = patient.data;
  const current = (TABS as readonly string[]).includes(tab) ? tab : "charts";

  return (
    <article aria-labelledby="patient-title">
      <h1 id="patient-title">{p.display_name}</h1>
      <p class="meta">
        {t("birthDate")}: {formatDate(p.birth_date, lang, "UTC")} · {t("timeZone")}: {p.time_zone} ·{" "}
        <FhirLink patientId={p.id} />
      </p>
      <Enrolments patient={p} programmes={programmes.data} onChange={patient.reload} />
      <div role="tablist" class="tabs" aria-label={p.display_name}>
        {TABS.map((name) => (
          <a
            key={name}
            role="tab"
            aria-selected={current === name}
            href={`/care/patients/${p.id}?tab=${name}`}
            onClick={onLink}
          >
            {t(TAB_LABELS[name])}
          </a>
        ))}
      </div>
      <div role="tabpanel" class="tabpanel">
        {current === "charts" && <Charts patient={p} programmes={programmes.data} />}
        {current === "forms" && <FormResponses patientId={p.id} />}
        {current === "alerts" && <PatientAlerts patientId={p.id} />}
        {current === "contacts" && <ContactRequests patientId={p.id} />}
        {current === "rules" && <Rules patientId={p.id} />}
        {current === "people" && <People patient={p} onChange={patient.reload} />}
        {current === "access" && <AccessLog patientId={p.id} />}
      </div>
    </article>
  );
}

function FhirLink({ patientId }: { patientId: string }) {
  const { t } = useT();
  return (
    <button
      type="button"
      class="link"
      onClick={() => download(`/api/v1/patients/${patientId}/fhir`, `heima-fhir-${patientId}.json`)}
    >
      {t("fhirExport")}
    </button>
  );
}

function Enrolments({
  patient,
  programmes,
  onChange,
}: {
  patient: Patient;
  programmes: Programme[];
  onChange: () => void;
}) {
  const { t, lang } = useT();
  const units = useMyUnits();
  const [programme, setProgramme] = useState("");
  const [params, setParams] = useState<Record<string, string>>({});
  const [ending, setEnding] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const spec = programmes.find((p) => p.code === programme);
  const title = (code: string) => local(programmes.find((p) => p.code === code)?.title, lang) || code;

  const enrol = async () => {
    setError(null);
    const parameters: Record<string, number | string> = {};
    for (const s of spec?.parameters ?? []) {
      const raw = params[s.name];
      if (raw === undefined || raw === "") continue;
      parameters[s.name] = s.type === "choice" && Number.isNaN(Number(raw)) ? raw : Number(raw);
    }
    try {
      ok(
        await api.POST("/api/v1/patients/{patient_id}/enrolments", {
          params: { path: { patient_id: patient.id } },
          body: { programme, unit_id: units[0]?.id ?? "", parameters },
        }),
      );
      setProgramme("");
      onChange();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const end = async (event: Event) => {
    event.preventDefault();
    if (!ending) return;
    const response = await fetch(`/api/v1/patients/${patient.id}/enrolments/${ending}/end`, {
      method: "POST",
      headers: { Authorization: `Bearer ${session.accessToken ?? ""}`, "Content-Type": "application/json" },
      body: reason.trim() ? JSON.stringify({ reason: reason.trim() }) : undefined,
    });
    if (!response.ok) setError(`${response.status}`);
    setEnding(null);
    setReason("");
    onChange();
  };

  return (
    <section class="enrolments" aria-label={t("enrolments")}>
      <ul class="plain">
        {patient.enrolments.map((e) => (
          <li key={e.id}>
            <strong>{title(e.programme)}</strong>{" "}
            {e.ended_at
              ? t("ended", { when: formatTime(e.ended_at, lang) })
              : t("since", { when: formatTime(e.started_at, lang) })}{" "}
            <span class="meta">
              {Object.entries(e.parameters)
                .map(([k, v]) => `${k}: ${String(v)}`)
                .join(", ")}
            </span>
            {!e.ended_at && (
              <button type="button" class="secondary small" onClick={() => setEnding(e.id)}>
                {t("endEnrolment")}
              </button>
            )}
          </li>
        ))}
      </ul>
      {ending && (
        <form onSubmit={end} class="inline-form">
          <TextField label={t("endReason")} maxLength={500} value={reason} onValue={setReason} />
          <button type="submit" class="danger">
            {t("endEnrolment")}
          </button>
          <button type="button" class="secondary" onClick={() => setEnding(null)}>
            {t("cancel")}
          </button>
        </form>
      )}
      <FormPanel action={t("enrol")} onSubmit={enrol} error={error} ready={!!programme}>
        <SelectField label={t("programme")} required value={programme} onValue={setProgramme}>
          <option value="" />
          {programmes.map((p) => (
            <option key={p.code} value={p.code}>
              {local(p.title, lang)}
            </option>
          ))}
        </SelectField>
        {spec?.parameters.map((s) => (
          <div key={s.name}>
            <label for={`param-${s.name}`}>
              {local(s.text, lang)} {s.unit ? `(${s.unit})` : ""}
            </label>
            {s.options ? (
              <select
                id={`param-${s.name}`}
                required={s.required}
                value={params[s.name] ?? ""}
                onChange={(e) => setParams({ ...params, [s.name]: (e.target as HTMLSelectElement).value })}
              >
                <option value="" />
                {s.options.map((o) => (
                  <option key={String(o)} value={String(o)}>
                    {String(o)}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={`param-${s.name}`}
                type="number"
                step="any"
                required={s.required}
                min={s.min ?? undefined}
                max={s.max ?? undefined}
                value={params[s.name] ?? ""}
                onInput={(e) => setParams({ ...params, [s.name]: (e.target as HTMLInputElement).value })}
              />
            )}
          </div>
        ))}
      </FormPanel>
    </section>
  );
}

// -- charts ---------------------------------------------------------------------------------------

/** The charts' period: the last two weeks. */
function chartSince(): string {
  return new Date(Date.now() - 14 * 86_400_000).toISOString();
}

async function recentMeasurements(patientId: string): Promise<Measurement[]> {
  const since = chartSince();
  const items: Measurement[] = [];
  let cursor: string | undefined;
  do {
    const page = ok(
      await api.GET("/api/v1/patients/{patient_id}/measurements", {
        params: {
          path: { patient_id: patientId },
          query: { since, limit: 500, ...(cursor ? { cursor } : {}) },
        },
      }),
    );
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && items.length < 5000);
  return items;
}

function localDay(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date(iso));
}

/** Thresholds of the patient's rules for one measurement (and component), as they apply now. */
function thresholdsFor(rules: Rule[], type: string, component?: string): Threshold[] {
  return rules
    .filter(
      (r) =>
        r.enabled &&
        r.kind === "threshold" &&
        r.params.type === type &&
        (r.params.component ?? undefined) === component,
    )
    .filter((r) => typeof r.params.limit === "number")
    .map((r) => ({
      value: r.params.limit as number,
      label: `${r.params.op ?? ""} ${r.params.limit}${r.source === "patient" ? " *" : ""}`,
      severity: r.severity,
    }));
}

const SIMPLE_TYPES = ["body_temperature", "spo2", "heart_rate", "respiratory_rate", "ultrafiltration_volume"];

function Charts({ patient, programmes }: { patient: Patient; programmes: Programme[] }) {
  const { t, lang } = useT();
  const data = useLoad(async () => {
    const [measurements, rules, news2] = await Promise.all([
      recentMeasurements(patient.id),
      api.GET("/api/v1/patients/{patient_id}/rules", { params: { path: { patient_id: patient.id } } }),
      // NEWS2 is not stored: the server scores the readings with the rules' own code.
      api.GET("/api/v1/patients/{patient_id}/news2", {
        params: { path: { patient_id: patient.id }, query: { since: chartSince() } },
      }),
    ]);
    return { measurements, rules: ok(rules).items, news2: ok(news2).items };
  }, [patient.id]);
  const [asTable, setAsTable] = useState(false);
  const typeNames = useMemo(() => {
    const names = new Map<string, string>();
    for (const p of programmes)
      for (const mt of p.measurement_types as { code: string; display?: { nb: string; en: string } }[])
        names.set(mt.code, local(mt.display, lang) || mt.code);
    return names;
  }, [programmes, lang]);
  if (data.error) return <p class="error">{data.error.message}</p>;
  if (!data.data) return <p>{t("loading")}</p>;
  const { measurements, rules, news2 } = data.data;
  const tz = patient.time_zone;
  const byType = new Map<string, Measurement[]>();
  for (const m of measurements) byType.set(m.type, [...(byType.get(m.type) ?? []), m]);
  const numeric = (list: Measurement[] = []) =>
    list
      .filter((m) => typeof m.value === "number")
      .map((m) => ({ at: new Date(m.measured_at), value: m.value as number }));
  const active = patient.enrolments.find((e) => !e.ended_at && e.programme === "premature-home");

  // Weight, with growth in g/kg/day between consecutive weighings (exponential method).
  const weights = numeric(byType.get("body_weight")).sort((a, b) => a.at.getTime() - b.at.getTime());
  const growth: Series["points"] = [];
  for (let i = 1; i < weights.length; i++) {
    const days = (weights[i].at.getTime() - weights[i - 1].at.getTime()) / 86_400_000;
    if (days >= 0.5)
      growth.push({
        at: weights[i].at,
        value: (1000 * Math.log(weights[i].value / weights[i - 1].value)) / days,
      });
  }
  // Intake per local day against the plan (prescribed mL/kg/day × the latest weight that day).
  const intake: DayBar[] = [];
  const feeds = byType.get("feeding_volume") ?? [];
  if (feeds.length > 0) {
    const perDay = new Map<string, number>();
    for (const f of feeds)
      perDay.set(
        localDay(f.measured_at, tz),
        (perDay.get(localDay(f.measured_at, tz)) ?? 0) + ((f.value as number) || 0),
      );
    const prescribed = Number(active?.parameters.prescribed_ml_per_kg_day ?? 0);
    for (const [day, total] of [...perDay.entries()].sort()) {
      const weight = [...weights].reverse().find((w) => localDay(w.at.toISOString(), tz) <= day);
      const grams = weight
        ? weight.value * (weights[0] && weights[0].value < 30 ? 1000 : 1)
        : Number(active?.parameters.birth_weight_g ?? 0);
      intake.push({ day, value: total, plan: prescribed && grams ? (prescribed * grams) / 1000 : null });
    }
  }
  const bp = byType.get("blood_pressure") ?? [];
  const component = (name: string) =>
    bp
      .filter((m) => m.components?.[name] !== undefined)
      .map((m) => ({ at: new Date(m.measured_at), value: m.components?.[name] as number }));

  const unitOf = (type: string) => byType.get(type)?.[0]?.unit ?? "";
  return (
    <div>
      <button type="button" class="secondary" aria-pressed={asTable} onClick={() => setAsTable(!asTable)}>
        {asTable ? t("chart") : t("table")}
      </button>
      {measurements.length === 0 && <p>{t("noData")}</p>}
      {asTable ? (
        <>
          <MeasurementTable measurements={measurements} names={typeNames} timeZone={tz} />
          {news2.length > 0 && <News2Table points={news2} timeZone={tz} />}
        </>
      ) : (
        <div class="charts">
          {weights.length > 0 && (
            <ChartBlock heading={typeNames.get("body_weight") ?? "body_weight"}>
              <LineChart
                title={typeNames.get("body_weight") ?? ""}
                unit={unitOf("body_weight")}
                series={[{ label: "body_weight", points: weights }]}
                timeZone={tz}
              />
            </ChartBlock>
          )}
          {growth.length > 0 && (
            <ChartBlock heading={t("growth")}>
              <LineChart
                title={t("growth")}
                unit="g/kg/d"
                series={[{ label: "growth", points: growth }]}
                thresholds={rules
                  .filter(
                    (r) =>
                      r.enabled &&
                      r.params.measure === "growth_velocity" &&
                      typeof r.params.limit === "number",
                  )
                  .map((r) => ({
                    value: r.params.limit as number,
                    label: `< ${r.params.limit}`,
                    severity: r.severity,
                  }))}
                timeZone={tz}
              />
            </ChartBlock>
          )}
          {intake.length > 0 && (
            <ChartBlock heading={t("intake")}>
              <DayBars title={t("intake")} unit="mL" days={intake} planLabel={t("plan")} />
            </ChartBlock>
          )}
          {SIMPLE_TYPES.filter((type) => byType.has(type)).map((type) => (
            <ChartBlock key={type} heading={typeNames.get(type) ?? type}>
              <LineChart
                title={typeNames.get(type) ?? type}
                unit={unitOf(type)}
                series={[{ label: type, points: numeric(byType.get(type)) }]}
                thresholds={thresholdsFor(rules, type)}
                timeZone={tz}
              />
            </ChartBlock>
          ))}
          {news2.length > 0 && (
            <ChartBlock heading={t("news2")}>
              <LineChart
                title={t("news2")}
                unit=""
                series={[
                  { label: "news2", points: news2.map((p) => ({ at: new Date(p.at), value: p.total })) },
                ]}
                thresholds={thresholdsFor(rules, "news2")}
                timeZone={tz}
              />
            </ChartBlock>
          )}
          {bp.length > 0 && (
            <ChartBlock heading={typeNames.get("blood_pressure") ?? "blood_pressure"}>
              <LineChart
                title={typeNames.get("blood_pressure") ?? ""}
                unit="mmHg"
                series={[
                  { label: "systolic", points: component("systolic") },
                  { label: "diastolic", points: component("diastolic") },
                ]}
                thresholds={[
                  ...thresholdsFor(rules, "blood_pressure", "systolic"),
                  ...thresholdsFor(rules, "blood_pressure", "diastolic"),
                ]}
                timeZone={tz}
              />
            </ChartBlock>
          )}
        </div>
      )}
    </div>
  );
}

function MeasurementTable({
  measurements,
  names,
  timeZone,
}: {
  measurements: Measurement[];
  names: Map<string, string>;
  timeZone: string;
}) {
  const { t, lang } = useT();
  return (
    <table class="grid">
      <caption class="visually-hidden">{t("tabCharts")}</caption>
      <ColumnHeads columns={[t("measuredAt"), t("what"), t("value")]} />
      <tbody>
        {measurements.map((m) => {
          const late = new Date(m.received_at).getTime() - new Date(m.measured_at).getTime() > 3_600_000;
          return (
            <tr key={m.id}>
              <td>{formatTime(m.measured_at, lang, timeZone)}</td>
              <td>{names.get(m.type) ?? m.type}</td>
              <td>
                {m.components
                  ? Object.entries(m.components)
                      .map(([k, v]) => `${k} ${v}`)
                      .join(", ")
                  : String(m.value ?? "")}{" "}
                {m.unit}
                {Object.keys(m.attributes ?? {}).length > 0 && (
                  <span class="meta"> ({Object.values(m.attributes).join(", ")})</span>
                )}
                {late && <span class="badge late">{t("receivedLate")}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function News2Table({ points, timeZone }: { points: Schemas["News2Point"][]; timeZone: string }) {
  const { t, lang } = useT();
  // The server names the NEWS2 parameters; a name this version does not know is shown as is.
  const parameterName = (name: string) => {
    const key = `news2_${name}`;
    return key in texts ? t(key as keyof typeof texts) : name;
  };
  return (
    <table class="grid news2">
      <caption>{t("news2")}</caption>
      <ColumnHeads columns={[t("measuredAt"), t("news2Total"), t("news2Risk"), t("news2Missing")]} />
      <tbody>
        {points.map((p) => (
          <tr key={p.at}>
            <td>{formatTime(p.at, lang, timeZone)}</td>
            <td>{p.total}</td>
            <td>{t(`risk_${p.risk}`)}</td>
            <td>{p.missing.map(parameterName).join(", ") || "–"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// -- the other tabs -------------------------------------------------------------------------------------

function FormResponses({ patientId }: { patientId: string }) {
  const { t, lang } = useT();
  const list = usePatientItems(patientId, (params) =>
    api.GET("/api/v1/patients/{patient_id}/form-responses", { params }),
  );
  if (!list.data) return <p>{t("loading")}</p>;
  if (list.data.length === 0) return <p>{t("noData")}</p>;
  return (
    <ul class="plain">
      {list.data.map((r) => (
        <li key={r.id} class="card">
          <strong>{r.form}</strong> {formatTime(r.authored_at, lang)}
          {r.score !== undefined && r.score !== null && (
            <span class="badge">
              {t("score")}: {r.score}
            </span>
          )}
          <dl class="answers">
            {Object.entries(r.answers).map(([k, v]) => (
              <>
                <dt key={`${k}-t`}>{k}</dt>
                <dd key={`${k}-d`}>{String(v)}</dd>
              </>
            ))}
          </dl>
        </li>
      ))}
    </ul>
  );
}

function PatientAlerts({ patientId }: { patientId: string }) {
  const { t } = useT();
  const list = useLoad(async () => {
    const read = async (status?: "resolved") =>
      ok(
        await api.GET("/api/v1/alerts", {
          params: { query: { patient_id: patientId, limit: 500, ...(status ? { status } : {}) } },
        }),
      ).items;
    const [unresolved, resolved] = await Promise.all([read(), read("resolved")]);
    return [...unresolved, ...resolved];
  }, [patientId]);
  const [changed, setChanged] = useState<Record<string, Alert>>({});
  if (!list.data) return <p>{t("loading")}</p>;
  if (list.data.length === 0) return <p>{t("noAlerts")}</p>;
  return (
    <ul class="alerts">
      {list.data.map((a) => (
        <AlertItem
          key={a.id}
          alert={changed[a.id] ?? a}
          onChange={(u) => setChanged({ ...changed, [u.id]: u })}
        />
      ))}
    </ul>
  );
}

function ContactRequests({ patientId }: { patientId: string }) {
  const { t, lang } = useT();
  const list = usePatientItems(patientId, (params) =>
    api.GET("/api/v1/patients/{patient_id}/contact-requests", { params }),
  );
  const handle = async (id: string) => {
    await api.POST("/api/v1/patients/{patient_id}/contact-requests/{request_id}/handle", {
      params: { path: { patient_id: patientId, request_id: id } },
    });
    list.reload();
  };
  if (!list.data) return <p>{t("loading")}</p>;
  if (list.data.length === 0) return <p>{t("noData")}</p>;
  return (
    <ul class="plain">
      {list.data.map((c) => (
        <li key={c.id} class="card">
          <p>{c.message}</p>
          <span class="meta">{formatTime(c.created_at, lang)}</span>{" "}
          {c.status === "handled" ? (
            <span class="badge ok">{t("handled", { when: formatTime(c.handled_at, lang) })}</span>
          ) : (
            <button type="button" onClick={() => handle(c.id)}>
              {t("markHandled")}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

function Rules({ patientId }: { patientId: string }) {
  const { t } = useT();
  const list = usePatientItems(patientId, (params) =>
    api.GET("/api/v1/patients/{patient_id}/rules", { params }),
  );
  if (!list.data) return <p>{t("loading")}</p>;
  return (
    <ul class="plain rules">
      {list.data.map((rule) => (
        <RuleItem key={rule.code} rule={rule} patientId={patientId} onSaved={list.reload} />
      ))}
    </ul>
  );
}

function RuleItem({ rule, patientId, onSaved }: { rule: Rule; patientId: string; onSaved: () => void }) {
  const { t, lang } = useT();
  const [editing, setEditing] = useState(false);
  const [params, setParams] = useState(JSON.stringify(rule.params));
  const [severity, setSeverity] = useState(rule.severity);
  const [enabled, setEnabled] = useState(rule.enabled);
  const [reason, setReason] = useState("");
  const [expires, setExpires] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [history, setHistory] = useState<Schemas["RuleOverride"][] | null>(null);
  const path = { patient_id: patientId, code: rule.code };

  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const parsed = JSON.parse(params) as Record<string, unknown>;
      ok(
        await api.PUT("/api/v1/patients/{patient_id}/rules/{code}", {
          params: { path },
          body: {
            params: parsed,
            severity,
            enabled,
            reason,
            ...(expires ? { expires_at: new Date(expires).toISOString() } : {}),
          },
        }),
      );
      setEditing(false);
      onSaved();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const showHistory = async () =>
    setHistory(
      ok(await api.GET("/api/v1/patients/{patient_id}/rules/{code}/history", { params: { path } })).items,
    );

  return (
    <li class={`card rule ${rule.enabled ? "" : "off"}`} data-rule={rule.code}>
      <div>
        <strong>{rule.title}</strong> <span class={`badge sev-${rule.severity}`}>{t(rule.severity)}</span>{" "}
        {!rule.enabled && <span class="badge">{t("disabled")}</span>}
        {rule.safety_floor && <span class="badge">{t("safetyFloor")}</span>}
      </div>
      <div class="meta">
        {t("source")}: {rule.source === "patient" ? t("patientOverride") : t("programmeDefault")} ·{" "}
        {t("basis")}: {rule.basis}
      </div>
      <code class="params">{JSON.stringify(rule.params)}</code>
      {rule.override && (
        <p class="override">
          {t("setBy", {
            who: rule.override.set_by_name,
            when: formatTime(rule.override.set_at, lang),
            reason: rule.override.reason,
          })}
          {rule.override.expires_at && ` · ${t("expires")}: ${formatTime(rule.override.expires_at, lang)}`}
        </p>
      )}
      <div class="row">
        <button
          type="button"
          class="secondary small"
          onClick={() => setEditing(!editing)}
          aria-expanded={editing}
        >
          {t("change")}
        </button>
        <button type="button" class="secondary small" onClick={showHistory}>
          {t("history")}
        </button>
      </div>
      {editing && (
        <form onSubmit={save}>
          <TextAreaField label={<>{t("parameters")} (JSON)</>} value={params} onValue={setParams} />
          <SelectField label={t("severity")} value={severity} onValue={setSeverity}>
            <SeverityOptions />
          </SelectField>
          <CheckField label={t("enabled")} checked={enabled} onChecked={setEnabled} />
          <TextField label={t("reason")} required maxLength={1000} value={reason} onValue={setReason} />
          <TextField label={t("expires")} type="datetime-local" value={expires} onValue={setExpires} />
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit">{t("save")}</button>
        </form>
      )}
      {history && (
        <ol class="history">
          {history.length === 0 && <li>{t("none")}</li>}
          {history.map((h) => (
            <li key={h.id}>
              {t("setBy", { who: h.set_by_name, when: formatTime(h.set_at, lang), reason: h.reason })}{" "}
              <code>{JSON.stringify(h.params)}</code>
              {h.severity && ` ${t(h.severity)}`}
              {h.enabled === false && ` ${t("disabled")}`}
            </li>
          ))}
        </ol>
      )}
    </li>
  );
}

/** What the QR code holds: the family app's activation screen with the code filled in. The code
 * rides in the fragment, which a browser never sends to a server, so no log sees it. */
function activationLink(code: string): string {
  return new URL(`/app/#/activate?code=${encodeURIComponent(code)}`, location.origin).href;
}

function People({ patient, onChange }: { patient: Patient; onChange: () => void }) {
  const { t, lang } = useT();
  const [role, setRole] = useState<"guardian" | "patient">("guardian");
  const [name, setName] = useState("");
  const [guardianId, setGuardianId] = useState("");
  const [code, setCode] = useState<Schemas["ActivationCode"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const issue = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      setCode(
        ok(
          await api.POST("/api/v1/patients/{patient_id}/activation-codes", {
            params: { path: { patient_id: patient.id } },
            body: {
              role,
              display_name: name,
              ...(role === "guardian" && guardianId ? { guardian_id: guardianId } : {}),
            },
          }),
        ),
      );
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div>
      <FamilyAccess patient={patient} onChange={onChange} />
      <h2>{t("newCode")}</h2>
      <form onSubmit={issue}>
        <SelectField label={t("role")} value={role} onValue={setRole}>
          <option value="guardian">{t("guardian")}</option>
          <option value="patient">{t("patientRole")}</option>
        </SelectField>
        <TextField label={t("name")} required maxLength={200} value={name} onValue={setName} />
        {role === "guardian" && (
          <SelectField label={t("guardians")} value={guardianId} onValue={setGuardianId}>
            <option value="">–</option>
            {patient.guardians.map((g) => (
              <option key={g.id} value={g.id}>
                {g.display_name}
              </option>
            ))}
          </SelectField>
        )}
        {error && <p class="error">{error}</p>}
        <button type="submit">{t("newCode")}</button>
      </form>
      {code && (
        <div class="code-card" aria-live="polite">
          <p>
            {t("activationCode")}: <strong class="activation-code">{code.code}</strong>
          </p>
          <QrCode text={activationLink(code.code)} label={t("qrLabel", { code: code.code })} />
          <p class="meta">{t("qrHelp")}</p>
          <p class="meta">{t("codeExpires", { when: formatTime(code.expires_at, lang) })}</p>
        </div>
      )}
    </div>
  );
}

function AccessLog({ patientId }: { patientId: string }) {
  const { t, lang } = useT();
  const [before, setBefore] = useState<number | undefined>(undefined);
  const page = useLoad(
    async () =>
      ok(
        await api.GET("/api/v1/patients/{patient_id}/access-log", {
          params: { path: { patient_id: patientId }, query: before ? { before } : {} },
        }),
      ),
    [patientId, before],
  );
  if (!page.data) return <p>{t("loading")}</p>;
  return (
    <div>
      <table class="grid">
        <ColumnHeads columns={[t("when"), t("who"), t("what"), t("outcome")]} />
        <tbody>
          {page.data.items.map((e) => (
            <tr key={e.id}>
              <td>{formatTime(e.at, lang)}</td>
              <td>
                {e.actor_name} <span class="meta">({e.actor_role})</span>
              </td>
              <td>
                {e.resource} ({e.action})
              </td>
              <td>{e.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.data.next_before && (
        <button
          type="button"
          class="secondary"
          onClick={() => setBefore(page.data?.next_before ?? undefined)}
        >
          {t("older")}
        </button>
      )}
    </div>
  );
}
