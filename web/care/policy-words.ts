// A unit's notification policy in plain words (pure: no requests, no state), for the policy screen
// (policy.tsx) and its history.
import type { Schemas } from "../shared/api";
import type { useT } from "./state";
import type { TextKey } from "./texts";

export type Policy = Schemas["Policy"];
export type Recipients = Schemas["Recipients"];
export type Who = Recipients["who"];
export type Profession = NonNullable<Recipients["professions"]>[number];
type T = ReturnType<typeof useT>["t"];
type Severity = "high" | "medium" | "low";

/** The professions the server's schema allows, each with its words. The record must name every
 * one of them and no other, so a profession the server adds or drops fails the type check until
 * it is named here (shared/api-types.ts is generated from the server). */
export const PROFESSIONS: Record<Profession, TextKey> = {
  nurse: "nurse",
  physician: "physician",
  physiotherapist: "physiotherapist",
  dietitian: "dietitian",
  midwife: "midwife",
  other: "otherProfession",
};

/** ISO weekdays, Monday first. */
export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;
export const DAY_NAMES = ["day1", "day2", "day3", "day4", "day5", "day6", "day7"] as const;
const DAY_SHORT = [
  "dayShort1",
  "dayShort2",
  "dayShort3",
  "dayShort4",
  "dayShort5",
  "dayShort6",
  "dayShort7",
] as const;

/** A clinician of the unit, whom the on-call list may name. */
export interface Clinician {
  id: string;
  name: string;
  profession: string | null;
}

/** The policy with every part present. The server always sends every part; the generated type
 * marks those with a default optional, so the defaults are repeated here only to satisfy it. */
export function complete(policy: Policy) {
  const everyone: Recipients = { who: "everyone", professions: [] };
  return {
    time_zone: policy.time_zone,
    staffed: policy.staffed ?? { start: "00:00", end: "24:00", days: [...WEEKDAYS] },
    in_hours: { high: everyone, medium: everyone, low: everyone, ...policy.in_hours },
    out_of_hours: { high: everyone, medium: everyone, ...policy.out_of_hours },
    on_call: policy.on_call ?? [],
    high: policy.high ?? { repeat_minutes: 15, escalate_after_minutes: 15 },
    medium: policy.medium ?? { repeat_minutes: 15, escalate_after_minutes: 60 },
    phone: policy.phone ?? null,
  };
}

export type CompletePolicy = ReturnType<typeof complete>;

export function daysWords(days: number[], t: T): string {
  const sorted = [...new Set(days)].sort();
  const is = (wanted: number[]) => sorted.join() === wanted.join();
  if (is([1, 2, 3, 4, 5, 6, 7])) return t("everyDay");
  if (is([1, 2, 3, 4, 5])) return t("onWeekdays");
  if (is([6, 7])) return t("atWeekends");
  return t("onDays", { days: sorted.map((d) => t(DAY_SHORT[d - 1])).join(", ") });
}

/** "08:00–15:30 on weekdays", or "Around the clock, every day". */
export function staffedWords(staffed: CompletePolicy["staffed"], t: T): string {
  const allDay = staffed.start === "00:00" && staffed.end === "24:00";
  if (allDay && (staffed.days ?? []).length === 7) return t("aroundTheClock");
  return t("staffedWindow", {
    start: staffed.start,
    end: staffed.end,
    days: daysWords(staffed.days ?? [], t),
  });
}

export function professionsWords(professions: Profession[], t: T): string {
  return professions.map((p) => t(PROFESSIONS[p])).join(", ");
}

/** The on-call list by name; a clinician no longer of the unit says so. */
export function namesWords(ids: string[], clinicians: Clinician[], t: T): string {
  if (ids.length === 0) return t("none");
  return ids.map((id) => clinicians.find((c) => c.id === id)?.name ?? t("unknownClinician")).join(", ");
}

export function recipientsWords(
  recipients: Recipients,
  onCall: string[],
  clinicians: Clinician[],
  t: T,
): string {
  switch (recipients.who) {
    case "everyone":
      return t("toEveryone");
    case "professions":
      return t("professionsOf", { list: professionsWords(recipients.professions ?? [], t) });
    default:
      return t("onCallOf", { names: namesWords(onCall, clinicians, t) });
  }
}

/** One line for the history: the staffed hours, who is told where it is not everyone, the
 * promise's answer time and the phone. */
export function policySummary(
  policy: Policy,
  contactWithinHours: number | null,
  clinicians: Clinician[],
  t: T,
): string {
  const p = complete(policy);
  const who = (r: Recipients) => recipientsWords(r, p.on_call, clinicians, t);
  const narrowed = (period: string, choices: [Severity, Recipients][]) => {
    const told = choices.filter(([, r]) => r.who !== "everyone").map(([s, r]) => `${t(s)} – ${who(r)}`);
    return told.length ? `${period}: ${told.join(", ")}` : null;
  };
  const { in_hours: day, out_of_hours: night } = p;
  return [
    staffedWords(p.staffed, t),
    narrowed(t("inHours"), [
      ["high", day.high],
      ["medium", day.medium],
      ["low", day.low],
    ]),
    narrowed(t("outOfHours"), [
      ["high", night.high],
      ["medium", night.medium],
    ]),
    contactWithinHours === null ? null : t("withinHours", { hours: contactWithinHours }),
    p.phone,
  ]
    .filter(Boolean)
    .join(" · ");
}
