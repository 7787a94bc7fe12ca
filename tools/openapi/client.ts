// A client written against the types openapi-typescript generates from /openapi.json (api.d.ts,
// written by tests/test_openapi_clients.py). `tsc` must accept it: it uses what a phone or web app
// relies on, and the `@ts-expect-error` lines must each be an error, or the types say too little.
import type { components, operations } from "./api";

type MeasurementIn = components["schemas"]["MeasurementIn"];
type UploadRequest = operations["uploadMeasurements"]["requestBody"]["content"]["application/json"];
type UploadResult = operations["uploadMeasurements"]["responses"][200]["content"]["application/json"];
type Problem = operations["uploadMeasurements"]["responses"][422]["content"]["application/problem+json"];
type RetryAfter = operations["login"]["responses"][429]["headers"]["Retry-After"];
type Programme = components["schemas"]["Programme"];

const weight: MeasurementIn = {
  id: "6f1c1b7e-5a43-4c43-9c53-0f6f4bb4bb01",
  type: "body_weight",
  unit: "g",
  value: 2450,
  measured_at: "2026-11-22T07:00:00+01:00",
};
export const upload: UploadRequest = { measurements: [weight] };

// @ts-expect-error a measurement type that is not in the catalogue
export const shoeSize: MeasurementIn = { ...weight, type: "shoe_size" };
// @ts-expect-error an upload item needs its `measured_at`
export const undated: MeasurementIn = { id: weight.id, type: "spo2", unit: "%" };

export function statuses(result: UploadResult): Array<"created" | "duplicate" | "conflict" | "rejected"> {
  return result.results.map((item) => item.status);
}

export function reasons(problem: Problem): string[] {
  return (problem.errors ?? []).map((error) => `${error.field}: ${error.message}`);
}

export const wait: RetryAfter = 5;

export function floors(programme: Programme): string[] {
  return programme.rules.filter((rule) => rule.safety_floor).map((rule) => `${rule.code} (${rule.severity})`);
}
