// The programme catalogue as the app uses it: `GET /programmes` lists each programme's measurement
// types (units, plausible ranges, options, components, attributes) and forms. The ranges checked
// on the phone are these, read from the API, never copied into the app.

import type { Schemas } from "../shared/api";
import type { LocalText } from "../shared/i18n";

export interface AttributeSpec {
  type: "choice" | "boolean";
  options?: string[];
  required: boolean;
}

export interface ComponentSpec {
  name: string;
  display: LocalText;
  min: number | null;
  max: number | null;
  required: boolean;
}

export interface MeasurementType {
  code: string;
  display: LocalText;
  canonical_unit: string;
  units: Record<string, { factor: number; offset: number }>;
  value_kind: "quantity" | "coded" | "components";
  min: number | null;
  max: number | null;
  options: { code: string; display: LocalText }[];
  components: ComponentSpec[];
  attributes: Record<string, AttributeSpec>;
}

export type Programme = Schemas["Programme"];
export type Form = Schemas["Form"];
export type FormItem = Schemas["Item"];
export type Patient = Schemas["Patient"];

/** The measurement types of the programmes a patient is enrolled in, in the programmes' order. */
export function typesOf(patient: Patient, programmes: Programme[]): MeasurementType[] {
  const enrolled = new Set(patient.enrolments.filter((e) => !e.ended_at).map((e) => e.programme));
  const seen = new Map<string, MeasurementType>();
  for (const programme of programmes) {
    if (!enrolled.has(programme.code)) continue;
    for (const raw of programme.measurement_types) {
      const type = raw as unknown as MeasurementType;
      if (!seen.has(type.code)) seen.set(type.code, type);
    }
  }
  return [...seen.values()];
}

/** Types every one of the patients can register (for "both twins"). */
export function sharedTypes(patients: Patient[], programmes: Programme[]): MeasurementType[] {
  const [first, ...rest] = patients.map((p) => typesOf(p, programmes));
  if (!first) return [];
  return first.filter((type) => rest.every((types) => types.some((t) => t.code === type.code)));
}

/** The plan parameter of a premature infant's enrolment (mL/kg/day), if any. */
export function enrolmentParameter(patient: Patient, name: string): number | null {
  for (const enrolment of patient.enrolments) {
    if (enrolment.ended_at) continue;
    const value = (enrolment.parameters as Record<string, unknown>)[name];
    if (typeof value === "number") return value;
  }
  return null;
}
