// What every screen of the care app shares: the session and API client, the signed-in person and
// their units, a small router over /care/…, and formatting in the user's language.
import { useEffect, useState } from "preact/hooks";
import { createApi, describeProblem, type Schemas } from "../shared/api";
import { type Lang, locale, translator, useLang } from "../shared/i18n";
import { Session } from "../shared/session";
import { texts } from "./texts";

export const BASE = "/care/";
export const session = new Session("heima.care.tokens");
export const api = createApi(session);

export type Me = Schemas["Me"];
export type Alert = Schemas["Alert"];
export type MyUnit = Schemas["MyUnit"];

/** Thrown for an answer that is not 2xx: the problem's words, and its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(describeProblem(problem) || `HTTP ${status}`);
  }
}

/** The data of an openapi-fetch answer, or an ApiError. */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (!result.response.ok) throw new ApiError(result.response.status, result.error);
  return result.data as T;
}

/** An alert's title in the reader's language: bokmål when the server wrote one (alerts raised
 * before it did have only the English title). */
export function alertTitle(alert: { title: string; title_nb?: string | null }, lang: Lang): string {
  return lang === "nb" && alert.title_nb ? alert.title_nb : alert.title;
}

/** An alert's explanation in the reader's language, as its title (`alertTitle`). */
export function alertExplanation(
  alert: { explanation: string; explanation_nb?: string | null },
  lang: Lang,
): string {
  return lang === "nb" && alert.explanation_nb ? alert.explanation_nb : alert.explanation;
}

export function useT() {
  const lang = useLang();
  return { t: translator(texts, lang), lang };
}

// -- routing -------------------------------------------------------------------------------------

const routeListeners = new Set<() => void>();

export function navigate(path: string, replace = false): void {
  const url = path.startsWith("/") ? path : BASE + path;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  for (const listener of routeListeners) listener();
  window.scrollTo(0, 0);
}

/** The path below /care/ ("" for the worklist) and the query, re-rendering on navigation. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const read = () => ({
    path: location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "",
    query: new URLSearchParams(location.search),
  });
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    routeListeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      routeListeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return route;
}

/** An in-app link: a real <a href> (new tab, keyboard, screen readers) that routes in the page. */
export function onLink(event: MouseEvent): void {
  const anchor = (event.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!anchor || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(anchor.getAttribute("href") ?? BASE);
}

// -- loading ---------------------------------------------------------------------------------------

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** Run `load` when `deps` change; `reload()` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error: Error) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((r) => r + 1) } as Loaded<T>;
}

/** One of a patient's lists (`/patients/{patient_id}/…`: form responses, rules, phones …), read
 * again when the patient changes. `read` makes the request with the path it is given. */
export function usePatientItems<T>(
  patientId: string,
  read: (params: { path: { patient_id: string } }) => Promise<{
    data?: { items: T[] };
    error?: unknown;
    response: Response;
  }>,
): Loaded<T[]> {
  return useLoad(async () => ok(await read({ path: { patient_id: patientId } })).items, [patientId]);
}

// -- formatting -------------------------------------------------------------------------------------

export const OSLO = "Europe/Oslo";

export function formatTime(iso: string | null | undefined, lang: Lang, timeZone = OSLO): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale(lang), {
    dateStyle: "short",
    timeStyle: "short",
    timeZone,
  }).format(new Date(iso));
}

export function formatDate(iso: string, lang: Lang, timeZone = OSLO): string {
  return new Intl.DateTimeFormat(locale(lang), { dateStyle: "medium", timeZone }).format(new Date(iso));
}

export function formatNumber(value: number, lang: Lang, digits = 1): string {
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: digits }).format(value);
}

/** How long ago, in minutes, hours or days ("12 min"). */
export function elapsed(iso: string, now: number = Date.now()): string {
  const minutes = Math.max(0, Math.round((now - new Date(iso).getTime()) / 60000));
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} t`;
  return `${Math.round(hours / 24)} d`;
}

/** A name reduced to its initials ("Tvilling A Nordmann" → "T. A. N."): the wall display's choice. */
export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => `${part[0]?.toUpperCase()}.`)
    .join(" ");
}

export const SEVERITY_RANK = { high: 3, medium: 2, low: 1 } as const;
