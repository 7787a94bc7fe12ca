// Hand-rolled SVG charts (no chart library): a line over time with the thresholds drawn as dashed
// lines, and bars per day against a plan. Each chart is an image with a text alternative, and the
// same numbers are always available as a table next to it.
import type { ComponentChildren } from "preact";
import { formatNumber, formatTime, useT } from "./state";

export interface Point {
  at: Date;
  value: number;
}
export interface Series {
  label: string;
  points: Point[];
  colour?: string;
}
export interface Threshold {
  value: number;
  label: string;
  severity: "high" | "medium" | "low";
}

const W = 640;
const H = 220;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };
const COLOURS = ["#0b5d57", "#7a3e9d", "#1a56db"];
const SEVERITY_COLOURS = { high: "#a3000b", medium: "#a35a00", low: "#6b6b00" };

function scale(domain: [number, number], range: [number, number]) {
  const [d0, d1] = domain[0] === domain[1] ? [domain[0] - 1, domain[1] + 1] : domain;
  return (x: number) => range[0] + ((x - d0) / (d1 - d0)) * (range[1] - range[0]);
}

export function LineChart({
  title,
  unit,
  series,
  thresholds = [],
  timeZone,
}: {
  title: string;
  unit: string;
  series: Series[];
  thresholds?: Threshold[];
  timeZone: string;
}) {
  const { lang } = useT();
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) return null;
  const times = points.map((p) => p.at.getTime());
  // Thresholds far from the data would flatten it: draw those within reach of the values.
  const values = points.map((p) => p.value);
  const low = Math.min(...values);
  const high = Math.max(...values);
  // Within reach: the values' spread, or a tenth of their size when they barely vary.
  const reach = Math.max(high - low, Math.abs((low + high) / 2) * 0.1, 1);
  const near = thresholds.filter((th) => th.value >= low - reach && th.value <= high + reach);
  const all = [...values, ...near.map((th) => th.value)];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const margin = (hi - lo || 1) * 0.08;
  const x = scale([Math.min(...times), Math.max(...times)], [PAD.left, W - PAD.right]);
  const y = scale([lo - margin, hi + margin], [H - PAD.bottom, PAD.top]);
  const ticks = [lo, (lo + hi) / 2, hi];
  const summary = `${title}: ${points.length} ${lang === "nb" ? "verdier" : "values"}, ${formatNumber(Math.min(...values), lang)}–${formatNumber(Math.max(...values), lang)} ${unit}`;

  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        <title>{summary}</title>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} class="gridline" />
            <text x={PAD.left - 6} y={y(v) + 4} text-anchor="end" class="tick">
              {formatNumber(v, lang)}
            </text>
          </g>
        ))}
        <text x={PAD.left} y={H - 8} class="tick">
          {formatTime(new Date(Math.min(...times)).toISOString(), lang, timeZone)}
        </text>
        <text x={W - PAD.right} y={H - 8} text-anchor="end" class="tick">
          {formatTime(new Date(Math.max(...times)).toISOString(), lang, timeZone)}
        </text>
        {near.map((th) => (
          <g key={`${th.label}-${th.value}`} class="threshold" data-threshold={th.value}>
            <line
              x1={PAD.left}
              x2={W - PAD.right}
              y1={y(th.value)}
              y2={y(th.value)}
              stroke={SEVERITY_COLOURS[th.severity]}
              stroke-dasharray="6 4"
              stroke-width="2"
            />
            <text
              x={W - PAD.right - 4}
              y={y(th.value) - 4}
              text-anchor="end"
              class="tick"
              fill={SEVERITY_COLOURS[th.severity]}
            >
              {th.label}
            </text>
          </g>
        ))}
        {series.map((s, i) => {
          const colour = s.colour ?? COLOURS[i % COLOURS.length];
          const sorted = [...s.points].sort((a, b) => a.at.getTime() - b.at.getTime());
          return (
            <g key={s.label} class="series" data-series={s.label}>
              <polyline
                fill="none"
                stroke={colour}
                stroke-width="2"
                points={sorted
                  .map((p) => `${x(p.at.getTime()).toFixed(1)},${y(p.value).toFixed(1)}`)
                  .join(" ")}
              />
              {sorted.map((p) => (
                <circle key={p.at.getTime()} cx={x(p.at.getTime())} cy={y(p.value)} r="3" fill={colour} />
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {title}
        {unit && ` (${unit})`}
        {series.length > 1 && ` – ${series.map((s) => s.label).join(", ")}`}
      </figcaption>
    </figure>
  );
}

export interface DayBar {
  day: string;
  value: number;
  plan: number | null;
}

/** Bars per local day with the plan drawn over each (intake per day against the plan). */
export function DayBars({
  title,
  unit,
  days,
  planLabel,
}: {
  title: string;
  unit: string;
  days: DayBar[];
  planLabel: string;
}) {
  const { lang } = useT();
  if (days.length === 0) return null;
  const hi = Math.max(...days.flatMap((d) => [d.value, d.plan ?? 0])) * 1.1 || 1;
  const y = scale([0, hi], [H - PAD.bottom, PAD.top]);
  const width = (W - PAD.left - PAD.right) / days.length;
  const summary = `${title}: ${days.map((d) => `${d.day} ${formatNumber(d.value, lang, 0)}${d.plan ? `/${formatNumber(d.plan, lang, 0)}` : ""}`).join(", ")}`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        <title>{summary}</title>
        {days.map((d, i) => {
          const left = PAD.left + i * width;
          return (
            <g key={d.day} class="bar" data-day={d.day}>
              <rect x={left + 4} width={width - 8} y={y(d.value)} height={y(0) - y(d.value)} fill="#0b5d57" />
              {d.plan !== null && (
                <line
                  x1={left + 2}
                  x2={left + width - 2}
                  y1={y(d.plan)}
                  y2={y(d.plan)}
                  stroke="#a3000b"
                  stroke-width="3"
                  class="plan"
                />
              )}
              <text x={left + width / 2} y={H - 8} text-anchor="middle" class="tick">
                {d.day.slice(5)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        {title} ({unit}) – <span class="plan-key">▬</span> {planLabel}
      </figcaption>
    </figure>
  );
}

export function ChartBlock({ heading, children }: { heading: string; children: ComponentChildren }) {
  return (
    <section class="chart-block">
      <h3>{heading}</h3>
      {children}
    </section>
  );
}
