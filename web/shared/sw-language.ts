// The language a service worker writes its notifications in: the one the person chose in the app
// (the app's language switch), told to the worker by the page, else the browser's. A worker has
// no localStorage, so the page posts its choice (i18n.ts, `tellServiceWorker`) and the worker keeps
// it in a cache of its own (`rememberLanguage`), which survives the worker being stopped between
// pushes. Only "nb" or "en" is kept: nothing about the person or their health.
//
// Worker side only: a module both the page and the worker imported would be split into a shared
// chunk, and a classic service worker cannot import one.

export type Lang = "nb" | "en";

export const LANGUAGE_CACHE = "heima-language";
const KEY = "/__heima_language";

/** In the worker: keep a language a page told it (a message of another kind is not ours). */
export async function rememberLanguage(message: unknown): Promise<void> {
  const { type, lang } = (message ?? {}) as { type?: unknown; lang?: unknown };
  if (type !== "language" || (lang !== "nb" && lang !== "en")) return;
  await (await caches.open(LANGUAGE_CACHE)).put(KEY, new Response(lang));
}

/** In the worker: the language told, else the browser's (bokmål unless it is English). */
export async function notificationLanguage(browser: string): Promise<Lang> {
  const told = await (await caches.open(LANGUAGE_CACHE)).match(KEY);
  const lang = told ? await told.text() : "";
  if (lang === "nb" || lang === "en") return lang;
  return (browser || "nb").toLowerCase().startsWith("en") ? "en" : "nb";
}
