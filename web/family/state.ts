// The app's connection to Heima and what it knows about the signed-in family: who they are, their
// children (or themself), the programmes and forms. That profile is kept in localStorage so the app
// opens and registers offline; it is refreshed whenever the network allows.

import { createApi, type Schemas } from "../shared/api";
import { Session } from "../shared/session";
import type { Form, Patient, Programme } from "./catalogue";
import { type Guidance, Outbox } from "./outbox";

export const session = new Session("heima.family.tokens");
export const api = createApi(session);
export const outbox = new Outbox(api);

export interface Profile {
  me: Schemas["Me"];
  patients: Patient[];
  programmes: Programme[];
  forms: Record<string, Form[]>;
}

const PROFILE_KEY = "heima.family.profile";
const GUIDANCE_KEY = "heima.family.guidance";

export function cachedProfile(): Profile | null {
  try {
    return JSON.parse(localStorage.getItem(PROFILE_KEY) ?? "null") as Profile | null;
  } catch {
    return null;
  }
}

/** The profile from the server (and kept), or null when the server could not be reached. */
export async function fetchProfile(): Promise<Profile | null> {
  try {
    const me = await api.GET("/api/v1/me");
    if (!me.data) return null;
    const programmes = await api.GET("/api/v1/programmes");
    if (!programmes.data) return null;
    const patients: Patient[] = [];
    const forms: Record<string, Form[]> = {};
    for (const id of me.data.patient_ids) {
      const [patient, patientForms] = await Promise.all([
        api.GET("/api/v1/patients/{patient_id}", { params: { path: { patient_id: id } } }),
        api.GET("/api/v1/patients/{patient_id}/forms", { params: { path: { patient_id: id } } }),
      ]);
      if (!patient.data || !patientForms.data) return null;
      patients.push(patient.data);
      forms[id] = patientForms.data.items;
    }
    patients.sort((a, b) => a.display_name.localeCompare(b.display_name));
    const profile = { me: me.data, patients, programmes: programmes.data.items, forms };
    localStorage.setItem(PROFILE_KEY, JSON.stringify(profile));
    return profile;
  } catch {
    return null;
  }
}

export function forgetProfile(): void {
  localStorage.removeItem(PROFILE_KEY);
  localStorage.removeItem(GUIDANCE_KEY);
}

/** Guidance not yet acknowledged by the parent: kept until they say they have read it. */
export function storedGuidance(): Guidance[] {
  try {
    return JSON.parse(localStorage.getItem(GUIDANCE_KEY) ?? "[]") as Guidance[];
  } catch {
    return [];
  }
}

export function storeGuidance(guidance: Guidance[]): void {
  localStorage.setItem(GUIDANCE_KEY, JSON.stringify(guidance));
}
