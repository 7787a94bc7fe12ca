// Bokmål and English: the browser's language decides until the user picks one with the switch.
// Each app keeps its own dictionary (`Dictionary`), bokmål and English side by side per key, so a
// missing translation is a type error rather than a blank button.

import { useEffect, useState } from "preact/hooks";

export type Lang = "nb" | "en";
export type Dictionary = Record<string, { nb: string; en: string }>;
export type LocalText = { nb: string; en: string };

const STORAGE_KEY = "heima.lang";
const listeners = new Set<(lang: Lang) => void>();

export function browserLang(languages: readonly string[] = navigator.languages): Lang {
  for (const language of languages) {
    const base = language.toLowerCase().split("-")[0];
    if (base === "nb" || base === "no" || base === "nn") return "nb";
    if (base === "en") return "en";
  }
  return "nb";
}

export function currentLang(): Lang {
  const chosen = localStorage.getItem(STORAGE_KEY);
  return chosen === "nb" || chosen === "en" ? chosen : browserLang();
}

/** Tell this app's service worker the language in use: its notifications follow the app's choice,
 * not the phone's (web/shared/sw-language.ts keeps it on the worker's side). */
function tellServiceWorker(lang: Lang): void {
  if (!("serviceWorker" in navigator)) return;
  void navigator.serviceWorker.ready.then((registration) =>
    registration.active?.postMessage({ type: "language", lang }),
  );
}

export function setLang(lang: Lang): void {
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  tellServiceWorker(lang);
  for (const listener of listeners) listener(lang);
}

/** The current language, re-rendering the component when it changes. */
export function useLang(): Lang {
  const [lang, setState] = useState<Lang>(currentLang);
  useEffect(() => {
    document.documentElement.lang = lang;
    tellServiceWorker(lang);
    listeners.add(setState);
    return () => {
      listeners.delete(setState);
    };
  }, [lang]);
  return lang;
}

/** A translator for one dictionary: `t("save")`, with `{name}` placeholders filled from `values`. */
export function translator<D extends Dictionary>(dictionary: D, lang: Lang) {
  return (key: keyof D, values: Record<string, string | number> = {}): string =>
    dictionary[key][lang].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? `{${name}}`));
}

/** A text the server sends in both languages. */
export function local(text: LocalText | null | undefined, lang: Lang): string {
  return text ? text[lang] || text.nb || text.en : "";
}

export function locale(lang: Lang): string {
  return lang === "nb" ? "nb-NO" : "en-GB";
}
