// The form that sets a unit's whole notification policy (PUT /units/{id}/notification-policy).
// It starts from the policy in force; a refusal keeps what was typed and shows the server's
// message for each field next to its control and in a summary above the button that links to it.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { describeProblem, type Problem } from "../shared/api";
import { CheckField, RadioGroup, SelectField, TextAreaField, TextField } from "./fields";
import {
  type Clinician,
  complete,
  DAY_NAMES,
  PROFESSIONS,
  type Profession,
  type Recipients,
  WEEKDAYS,
  type Who,
} from "./policy-words";
import { api, useT } from "./state";

type PolicyOut = Schemas["NotificationPolicyOut"];
type InHoursSeverity = "high" | "medium" | "low";
type OutOfHoursSeverity = "high" | "medium";
type Timed = "high" | "medium";

interface Draft {
  time_zone: string;
  start: string;
  end: string;
  untilMidnight: boolean;
  days: number[];
  in_hours: Record<InHoursSeverity, Recipients>;
  out_of_hours: Record<OutOfHoursSeverity, Recipients>;
  on_call: string[];
  timers: Record<Timed, { repeat: string; escalate: string }>;
  phone: string;
  contact: string;
  reason: string;
}

function draftOf(current: PolicyOut): Draft {
  const p = complete(current.policy);
  const timer = (t: { repeat_minutes: number; escalate_after_minutes: number }) => ({
    repeat: String(t.repeat_minutes),
    escalate: String(t.escalate_after_minutes),
  });
  return {
    time_zone: p.time_zone,
    start: p.staffed.start,
    end: p.staffed.end === "24:00" ? "" : p.staffed.end,
    untilMidnight: p.staffed.end === "24:00",
    days: [...(p.staffed.days ?? [])],
    in_hours: { high: p.in_hours.high, medium: p.in_hours.medium, low: p.in_hours.low },
    out_of_hours: { high: p.out_of_hours.high, medium: p.out_of_hours.medium },
    on_call: [...p.on_call],
    timers: { high: timer(p.high), medium: timer(p.medium) },
    phone: p.phone ?? "",
    contact: current.contact_within_hours === null ? "" : String(current.contact_within_hours),
    reason: "",
  };
}

/** Professions are sent only with `who: professions`: the server refuses them with anything else.
 * The draft keeps them, so choosing "professions" again brings back what was ticked. */
function recipientsBody(r: Recipients): Recipients {
  return r.who === "professions" ? { who: r.who, professions: r.professions ?? [] } : { who: r.who };
}

function bodyOf(d: Draft): Schemas["NotificationPolicyIn"] {
  const timers = (t: { repeat: string; escalate: string }) => ({
    repeat_minutes: Number(t.repeat),
    escalate_after_minutes: Number(t.escalate),
  });
  return {
    time_zone: d.time_zone,
    staffed: { start: d.start, end: d.untilMidnight ? "24:00" : d.end, days: [...d.days].sort() },
    in_hours: {
      high: recipientsBody(d.in_hours.high),
      medium: recipientsBody(d.in_hours.medium),
      low: recipientsBody(d.in_hours.low),
    },
    out_of_hours: {
      high: recipientsBody(d.out_of_hours.high),
      medium: recipientsBody(d.out_of_hours.medium),
    },
    on_call: d.on_call,
    high: timers(d.timers.high),
    medium: timers(d.timers.medium),
    phone: d.phone.trim() || null,
    contact_within_hours: d.contact.trim() ? Number(d.contact) : null,
    reason: d.reason,
  };
}

/** The control a refused field belongs to: `$.staffed.end` → `staffed.end`, `on_call[0]` →
 * `on_call`, `in_hours.medium.professions` → `in_hours.medium` (the severity's fieldset). */
function controlOf(field: string): string {
  const plain = field.replace(/^\$\.?/, "").replace(/\[\d+\]/g, "");
  const recipients = /^(in_hours|out_of_hours)\.(high|medium|low)/.exec(plain);
  return recipients ? recipients[0] : plain;
}

function controlId(control: string): string {
  return `policy-${control.replace(/[^a-z0-9]+/gi, "-")}`;
}

const errorId = (control: string) => `${controlId(control)}-error`;

interface Refusal {
  /** Per control (controlOf): the server's messages. */
  fields: Record<string, string>;
  /** A refusal that names no field (a conflict, the network). */
  general: string | null;
}

const NO_REFUSAL: Refusal = { fields: {}, general: null };

export function PolicyForm({
  unitId,
  current,
  clinicians,
  onSaved,
}: {
  unitId: string;
  current: PolicyOut;
  clinicians: Clinician[];
  onSaved: (saved: PolicyOut) => void;
}) {
  const { t } = useT();
  const [draft, setDraft] = useState(() => draftOf(current));
  const [refusal, setRefusal] = useState<Refusal>(NO_REFUSAL);
  const [busy, setBusy] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (refusal !== NO_REFUSAL) summary.current?.focus();
  }, [refusal]);

  const set = (change: Partial<Draft>) => setDraft((d) => ({ ...d, ...change }));
  const label = (control: string) => controlLabel(control, t);
  /** A control's description: the server's message when it refused it, and its help. */
  const describedBy = (control: string, help?: string) =>
    [refusal.fields[control] ? errorId(control) : "", help ?? ""].filter(Boolean).join(" ") || undefined;
  /** What a control carries when the server refused it: marked invalid, described by the message. */
  const invalid = (control: string, help?: string) => ({
    id: controlId(control),
    "aria-invalid": refusal.fields[control] ? ("true" as const) : undefined,
    "aria-describedby": describedBy(control, help),
  });
  const message = (control: string) =>
    refusal.fields[control] ? (
      <p class="field-error" id={errorId(control)}>
        {refusal.fields[control]}
      </p>
    ) : null;

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const result = await api.PUT("/api/v1/units/{unit_id}/notification-policy", {
        params: { path: { unit_id: unitId } },
        body: bodyOf(draft),
      });
      if (result.response.ok && result.data) {
        setRefusal(NO_REFUSAL);
        onSaved(result.data);
        return;
      }
      const problem = result.error as Partial<Problem> | undefined;
      const fields: Record<string, string> = {};
      for (const e of problem?.errors ?? []) {
        const control = controlOf(e.field);
        fields[control] = fields[control] ? `${fields[control]} ${e.message}` : e.message;
      }
      setRefusal({
        fields,
        general: Object.keys(fields).length
          ? null
          : describeProblem(problem) || `HTTP ${result.response.status}`,
      });
    } catch (e) {
      setRefusal({ fields: {}, general: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const recipients = (
    period: "in_hours" | "out_of_hours",
    severity: InHoursSeverity,
    value: Recipients,
    onValue: (r: Recipients) => void,
  ) => {
    const control = `${period}.${severity}`;
    const chosen = value.professions ?? [];
    return (
      <RadioGroup<Who>
        legend={t(severity)}
        name={control}
        value={value.who}
        options={[
          ["everyone", t("toEveryone")],
          ["professions", t("toProfessions")],
          ["on_call", t("toOnCall")],
        ]}
        onValue={(who) => onValue({ ...value, who })}
        id={controlId(control)}
        describedBy={describedBy(control)}
      >
        {value.who === "professions" && (
          <fieldset>
            <legend>{t("toProfessions")}</legend>
            {(Object.keys(PROFESSIONS) as Profession[]).map((p) => (
              <CheckField
                key={p}
                label={t(PROFESSIONS[p])}
                checked={chosen.includes(p)}
                onChecked={(on) =>
                  onValue({ ...value, professions: on ? [...chosen, p] : chosen.filter((x) => x !== p) })
                }
              />
            ))}
          </fieldset>
        )}
        {message(control)}
      </RadioGroup>
    );
  };

  const timer = (severity: Timed) => {
    const values = draft.timers[severity];
    const change = (part: Partial<typeof values>) =>
      set({ timers: { ...draft.timers, [severity]: { ...values, ...part } } });
    return (
      <fieldset id={controlId(severity)}>
        <legend>{t(severity)}</legend>
        <div class="pair">
          <div>
            <TextField
              label={t("repeatMinutes")}
              type="number"
              min={15}
              max={240}
              required
              value={values.repeat}
              onValue={(repeat) => change({ repeat })}
              {...invalid(`${severity}.repeat_minutes`)}
            />
            {message(`${severity}.repeat_minutes`)}
          </div>
          <div>
            <TextField
              label={t("escalateMinutes")}
              type="number"
              min={15}
              max={240}
              required
              value={values.escalate}
              onValue={(escalate) => change({ escalate })}
              {...invalid(`${severity}.escalate_after_minutes`)}
            />
            {message(`${severity}.escalate_after_minutes`)}
          </div>
        </div>
      </fieldset>
    );
  };

  const knownIds = new Set(clinicians.map((c) => c.id));
  const departed = draft.on_call.filter((id) => !knownIds.has(id));
  const refused = Object.entries(refusal.fields);

  return (
    <form class="policy-form" onSubmit={save}>
      <fieldset id={controlId("staffed")}>
        <legend>{t("staffedHours")}</legend>
        <SelectField
          label={t("timeZone")}
          value={draft.time_zone}
          onValue={(time_zone) => set({ time_zone })}
          {...invalid("time_zone")}
        >
          {zones(draft.time_zone).map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </SelectField>
        {message("time_zone")}
        <div class="pair">
          <div>
            <TextField
              label={t("startTime")}
              type="time"
              required
              value={draft.start}
              onValue={(start) => set({ start })}
              {...invalid("staffed.start")}
            />
            {message("staffed.start")}
          </div>
          <div>
            <TextField
              label={t("endTime")}
              type="time"
              required={!draft.untilMidnight}
              disabled={draft.untilMidnight}
              value={draft.end}
              onValue={(end) => set({ end })}
              {...invalid("staffed.end")}
            />
            <CheckField
              label={t("untilMidnight")}
              checked={draft.untilMidnight}
              onChecked={(untilMidnight) => set({ untilMidnight })}
            />
            {message("staffed.end")}
          </div>
        </div>
        <fieldset id={controlId("staffed.days")} aria-describedby={describedBy("staffed.days")}>
          <legend>{t("days")}</legend>
          <div class="days">
            {WEEKDAYS.map((day) => (
              <CheckField
                key={day}
                label={t(DAY_NAMES[day - 1])}
                checked={draft.days.includes(day)}
                onChecked={(on) =>
                  set({ days: on ? [...draft.days, day] : draft.days.filter((d) => d !== day) })
                }
              />
            ))}
          </div>
          {message("staffed.days")}
        </fieldset>
      </fieldset>

      <fieldset>
        <legend>{t("whoIsTold")}</legend>
        <p class="meta">{t("fallsBack")}</p>
        <div class="periods">
          <fieldset id={controlId("in_hours")}>
            <legend>{t("inHours")}</legend>
            {(["high", "medium", "low"] as const).map((s) => (
              <div key={s}>
                {recipients("in_hours", s, draft.in_hours[s], (r) =>
                  set({ in_hours: { ...draft.in_hours, [s]: r } }),
                )}
              </div>
            ))}
          </fieldset>
          <fieldset id={controlId("out_of_hours")}>
            <legend>{t("outOfHours")}</legend>
            <p class="meta">{t("highAtOnce")}</p>
            {(["high", "medium"] as const).map((s) => (
              <div key={s}>
                {recipients("out_of_hours", s, draft.out_of_hours[s], (r) =>
                  set({ out_of_hours: { ...draft.out_of_hours, [s]: r } }),
                )}
              </div>
            ))}
            <p class="notice" id="policy-low-out-of-hours">
              <strong>{t("low")}:</strong> {t("lowOutOfHours")}
            </p>
          </fieldset>
        </div>
      </fieldset>

      <fieldset id={controlId("on_call")} aria-describedby={describedBy("on_call", "policy-on-call-help")}>
        <legend>{t("onCallList")}</legend>
        <p class="meta" id="policy-on-call-help">
          {t("onCallHelp")}
        </p>
        {clinicians.length === 0 && <p>{t("noClinicians")}</p>}
        {clinicians.map((c) => (
          <CheckField
            key={c.id}
            label={
              <>
                {c.name} {c.profession && <span class="meta">({professionWord(c.profession, t)})</span>}
              </>
            }
            checked={draft.on_call.includes(c.id)}
            onChecked={(on) =>
              set({ on_call: on ? [...draft.on_call, c.id] : draft.on_call.filter((id) => id !== c.id) })
            }
          />
        ))}
        {departed.map((id) => (
          <CheckField
            key={id}
            label={t("unknownClinician")}
            checked
            onChecked={() => set({ on_call: draft.on_call.filter((x) => x !== id) })}
          />
        ))}
        {message("on_call")}
      </fieldset>

      <fieldset>
        <legend>{t("timers")}</legend>
        {timer("high")}
        {timer("medium")}
      </fieldset>

      <fieldset>
        <legend>{t("promiseToFamilies")}</legend>
        <TextField
          label={t("closedPhone")}
          type="tel"
          autoComplete="off"
          maxLength={24}
          value={draft.phone}
          onValue={(phone) => set({ phone })}
          {...invalid("phone", "policy-phone-help")}
        />
        <p class="meta" id="policy-phone-help">
          {t("phoneHelp")}
        </p>
        {message("phone")}
        <TextField
          label={t("contactWithinField")}
          type="number"
          min={1}
          max={168}
          value={draft.contact}
          onValue={(contact) => set({ contact })}
          {...invalid("contact_within_hours", "policy-contact-help")}
        />
        <p class="meta" id="policy-contact-help">
          {t("contactWithinHelp")}
        </p>
        {message("contact_within_hours")}
      </fieldset>

      <TextAreaField
        label={t("policyReason")}
        required
        maxLength={1000}
        value={draft.reason}
        onValue={(reason) => set({ reason })}
        {...invalid("reason")}
      />
      {message("reason")}

      {(refused.length > 0 || refusal.general) && (
        <div class="error-summary" role="alert" tabIndex={-1} ref={summary}>
          <p>
            <strong>{t("notSaved")}</strong>
          </p>
          {refusal.general && <p>{refusal.general}</p>}
          <ul>
            {refused.map(([control, text]) => (
              <li key={control} data-field={control}>
                {label(control) ? <a href={`#${controlId(control)}`}>{label(control)}</a> : control}: {text}
              </li>
            ))}
          </ul>
        </div>
      )}
      <button type="submit" disabled={busy}>
        {t("savePolicy")}
      </button>
    </form>
  );
}

/** Every IANA zone the browser knows, with the policy's own first when it knows it not. */
function zones(current: string): string[] {
  const known = Intl.supportedValuesOf("timeZone");
  return known.includes(current) ? known : [current, ...known];
}

function professionWord(profession: string, t: ReturnType<typeof useT>["t"]): string {
  return profession in PROFESSIONS ? t(PROFESSIONS[profession as Profession]) : profession;
}

/** A refused control's name, for the summary: its group and its label (null for a field the form
 * has no control of, which the summary names as the server did). */
function controlLabel(control: string, t: ReturnType<typeof useT>["t"]): string | null {
  const [head, tail] = control.split(".");
  const severity = (s: string) => (s === "high" || s === "medium" || s === "low" ? t(s) : s);
  switch (head) {
    case "time_zone":
      return t("timeZone");
    case "staffed": {
      const part = { start: t("startTime"), end: t("endTime"), days: t("days") }[tail ?? ""];
      return part ? `${t("staffedHours")}: ${part}` : t("staffedHours");
    }
    case "in_hours":
      return tail ? `${t("inHours")}: ${severity(tail)}` : t("inHours");
    case "out_of_hours":
      return tail ? `${t("outOfHours")}: ${severity(tail)}` : t("outOfHours");
    case "on_call":
      return t("onCallList");
    case "high":
    case "medium": {
      const part = { repeat_minutes: t("repeatMinutes"), escalate_after_minutes: t("escalateMinutes") }[
        tail ?? ""
      ];
      return `${t(head)}: ${part ?? t("timers")}`;
    }
    case "phone":
      return t("closedPhone");
    case "contact_within_hours":
      return t("contactWithinField");
    case "reason":
      return t("policyReason");
    default:
      return null;
  }
}
