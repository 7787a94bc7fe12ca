// The overview: today's feeds against the plan (count, mL, mL/kg, in the child's own time zone),
// a weight chart, and the recent registrations the hospital has. Registrations still on the phone
// count too, so the totals are right while offline.

import { useEffect, useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { local } from "../shared/i18n";
import { useApp } from "./app";
import { enrolmentParameter, type Patient, typesOf } from "./catalogue";
import type { OutboxItem } from "./outbox";
import { api } from "./state";
import { codeLabel, unitLabel } from "./texts";
import { dayIn, formatDateTime, formatTime } from "./time";

type Measurement = Schemas["Measurement"];

interface Point {
  id: string;
  at: string;
  value: number;
}

export function Overview() {
  const { selected } = useApp();
  return (
    <>
      {selected.map((patient) => (
        <PatientOverview key={patient.id} patient={patient} showName={selected.length > 1} />
      ))}
    </>
  );
}

async function read(
  patientId: string,
  query: { type?: string; since?: string; limit: number },
): Promise<Measurement[]> {
  try {
    const { data } = await api.GET("/api/v1/patients/{patient_id}/measurements", {
      params: { path: { patient_id: patientId }, query },
    });
    return data?.items ?? [];
  } catch {
    return [];
  }
}

function localPoints(items: OutboxItem[], patientId: string, type: string): Point[] {
  return items
    .filter((i) => i.kind === "measurement" && i.patientId === patientId && i.body.type === type)
    .filter((i) => i.status === "pending" || i.status === "created" || i.status === "duplicate")
    .map((i) => ({ id: i.id, at: String(i.body.measured_at), value: canonical(i.body) }));
}

function canonical(body: Record<string, unknown>): number {
  const value = Number(body.value);
  // The outbox keeps what was typed: kg and L are shown in the canonical g and mL.
  return body.unit === "kg" || body.unit === "L" ? value * 1000 : value;
}

function merge(server: Point[], phone: Point[]): Point[] {
  const ids = new Set(server.map((p) => p.id));
  return [...server, ...phone.filter((p) => !ids.has(p.id))].sort((a, b) => a.at.localeCompare(b.at));
}

function PatientOverview({ patient, showName }: { patient: Patient; showName: boolean }) {
  const { t, lang, locale, profile, outboxItems } = useApp();
  const [feeds, setFeeds] = useState<Point[]>([]);
  const [weights, setWeights] = useState<Point[]>([]);
  const [recent, setRecent] = useState<Measurement[] | null>(null);
  const types = typesOf(patient, profile.programmes);
  const feedsFollowed = types.some((type) => type.code === "feeding_volume");
  const weightFollowed = types.some((type) => type.code === "body_weight");

  useEffect(() => {
    let live = true;
    const since = new Date(Date.now() - 36 * 3600 * 1000).toISOString();
    void (async () => {
      const [feedItems, weightItems, recentItems] = await Promise.all([
        feedsFollowed ? read(patient.id, { type: "feeding_volume", since, limit: 200 }) : [],
        weightFollowed ? read(patient.id, { type: "body_weight", limit: 60 }) : [],
        read(patient.id, { limit: 20 }),
      ]);
      if (!live) return;
      const points = (items: Measurement[]) =>
        items.map((m) => ({ id: m.id, at: m.measured_at, value: Number(m.value) }));
      setFeeds(points(feedItems));
      setWeights(points(weightItems));
      setRecent(recentItems);
    })();
    return () => {
      live = false;
    };
  }, [patient.id, feedsFollowed, weightFollowed]);

  const today = dayIn(new Date(), patient.time_zone);
  const todaysFeeds = merge(feeds, localPoints(outboxItems, patient.id, "feeding_volume")).filter(
    (p) => dayIn(new Date(p.at), patient.time_zone) === today,
  );
  const allWeights = merge(weights, localPoints(outboxItems, patient.id, "body_weight"));
  // The latest weight, else the birth weight the unit registered: mL/kg needs a weight.
  const birthWeight = enrolmentParameter(patient, "birth_weight_g");
  const latestGrams = allWeights.length ? allWeights[allWeights.length - 1].value : birthWeight;
  const latestWeightKg = latestGrams ? latestGrams / 1000 : null;
  const totalMl = todaysFeeds.reduce((sum, p) => sum + p.value, 0);
  const planPerKg = enrolmentParameter(patient, "prescribed_ml_per_kg_day");
  const planMl = planPerKg && latestWeightKg ? Math.round(planPerKg * latestWeightKg) : null;
  const number = (n: number, digits = 0) => n.toLocaleString(locale, { maximumFractionDigits: digits });

  return (
    <section class="card" aria-label={patient.display_name}>
      {showName && <h2>{patient.display_name}</h2>}
      {feedsFollowed && (
        <>
          <h2>{t("today")}</h2>
          <dl class="totals" data-testid="today">
            <div>
              <dt>{t("feeds")}</dt>
              <dd>{todaysFeeds.length}</dd>
            </div>
            <div>
              <dt>{t("volume")}</dt>
              <dd>{number(totalMl)} ml</dd>
            </div>
            <div>
              <dt>{t("perKg")}</dt>
              <dd>{latestWeightKg ? number(totalMl / latestWeightKg, 1) : "–"}</dd>
            </div>
          </dl>
          {planMl && planPerKg ? (
            <>
              <p>{t("plan", { ml: number(planMl), perKg: number(planPerKg) })}</p>
              <meter
                min={0}
                max={planMl}
                value={Math.min(totalMl, planMl)}
                aria-label={t("ofPlan", { pct: number((100 * totalMl) / planMl) })}
              />
              <p class="small-text">{t("ofPlan", { pct: number((100 * totalMl) / planMl) })}</p>
            </>
          ) : (
            <p class="muted">{t("noPlan")}</p>
          )}
        </>
      )}
      {weightFollowed && (
        <>
          <h2>{t("weightChart")}</h2>
          <WeightChart points={allWeights} />
        </>
      )}
      <h2>{t("recent")}</h2>
      {recent === null ? (
        <p role="status">{t("loading")}</p>
      ) : recent.length === 0 ? (
        <p class="muted">{t("nothingYet")}</p>
      ) : (
        <table>
          <tbody>
            {recent.map((m) => {
              const type = types.find((candidate) => candidate.code === m.type);
              const value = m.components ? Object.values(m.components).join("/") : String(m.value);
              const attributes = Object.values(m.attributes ?? {})
                .filter((v) => typeof v === "string")
                .map((v) => codeLabel(String(v), lang));
              return (
                <tr key={m.id}>
                  <td>{formatTime(m.measured_at, locale, patient.time_zone)}</td>
                  <td>{type ? local(type.display, lang) : m.type}</td>
                  <td>
                    {value} {unitLabel(m.unit)} {attributes.join(", ")}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p class="small-text muted">{formatDateTime(Date.now(), locale, patient.time_zone)}</p>
    </section>
  );
}

/** Weight over time as an SVG line, with its summary in words for screen readers. */
function WeightChart({ points }: { points: Point[] }) {
  const { t, locale } = useApp();
  if (points.length === 0) return <p class="muted">{t("noWeights")}</p>;
  const width = 320;
  const height = 160;
  const pad = 34;
  const times = points.map((p) => new Date(p.at).getTime());
  const values = points.map((p) => p.value);
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const [v0, v1] = [Math.min(...values), Math.max(...values)];
  const x = (time: number) => pad + ((time - t0) / Math.max(t1 - t0, 1)) * (width - pad - 8);
  const y = (value: number) =>
    height - pad + 10 - ((value - v0) / Math.max(v1 - v0, 1)) * (height - pad - 10);
  const line = points.map((p, i) => `${x(times[i])},${y(p.value)}`).join(" ");
  const summary = t("weightSummary", {
    first: values[0].toLocaleString(locale),
    last: values[values.length - 1].toLocaleString(locale),
    count: values.length,
  });
  const day = (time: number) =>
    new Intl.DateTimeFormat(locale, { day: "numeric", month: "short" }).format(time);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} data-testid="weight-chart">
        <line x1={pad} y1={height - pad + 10} x2={width - 8} y2={height - pad + 10} class="axis" />
        <line x1={pad} y1={10} x2={pad} y2={height - pad + 10} class="axis" />
        <text x={pad - 4} y={y(v1) + 4} text-anchor="end" class="tick">
          {v1.toLocaleString(locale)}
        </text>
        <text x={pad - 4} y={y(v0) + 4} text-anchor="end" class="tick">
          {v0.toLocaleString(locale)}
        </text>
        <text x={pad} y={height - 6} class="tick">
          {day(t0)}
        </text>
        <text x={width - 8} y={height - 6} text-anchor="end" class="tick">
          {day(t1)}
        </text>
        <polyline points={line} class="series" />
        {points.map((p, i) => (
          <circle key={p.id} cx={x(times[i])} cy={y(p.value)} r={3} class="dot" />
        ))}
      </svg>
      <figcaption class="small-text">{summary} (g)</figcaption>
    </figure>
  );
}
