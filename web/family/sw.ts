// The family app's service worker (scope /app/): keeps the app shell so the app opens offline, and
// shows Heima's pushes in the language chosen in the app. It imports only the worker-side helpers
// of web/shared/sw-language.ts (nothing the page imports), so it builds to one standalone file
// (sw.js).
//
// The shell: on install, the page and every asset it names (Vite's hashed files) are cached;
// pages are served network first (a new release arrives when online), assets cache first (their
// names change when their content does). The API is never cached: registrations wait in the
// app's own queue (IndexedDB), not here.
//
// Pushes carry no health data: a type and an id (`alert_id`, `contact_request_id`, `meeting_id` or
// `patient_id`). The notification says only what kind of news there is (the care team has seen a
// message, has followed up a request to be contacted, a registration is due, a meeting starts), and
// a click opens the app on the screen where that news is.

import { LANGUAGE_CACHE, notificationLanguage, rememberLanguage } from "../shared/sw-language";

declare const self: ServiceWorkerGlobalScope;

const SHELL = "heima-family-shell-v1";
const SCOPE = new URL(self.registration.scope).pathname; // "/app/"

self.addEventListener("install", (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name !== SHELL && name !== LANGUAGE_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

async function cacheShell(): Promise<void> {
  const cache = await caches.open(SHELL);
  const page = await fetch(SCOPE, { cache: "no-cache" });
  if (!page.ok) return;
  const html = await page.clone().text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
    .map((match) => match[1])
    .filter((url) => url.startsWith(SCOPE));
  await cache.put(SCOPE, page);
  await cache.addAll([...new Set(assets)]);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE))
    return;
  if (request.mode === "navigate") {
    event.respondWith(pageNetworkFirst(request));
  } else if (url.pathname.startsWith(`${SCOPE}assets/`)) {
    event.respondWith(assetCacheFirst(request));
  }
});

async function pageNetworkFirst(request: Request): Promise<Response> {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(SCOPE, response.clone());
    return response;
  } catch {
    // Offline: every route of the app is the same page.
    return (await cache.match(SCOPE)) ?? Response.error();
  }
}

async function assetCacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

interface HeimaPush {
  type?: string;
  alert_id?: string;
  contact_request_id?: string;
  meeting_id?: string;
  patient_id?: string;
  severity?: string;
}

// The words on the lock screen: what happened, never a value, a diagnosis or a name.
const TEXTS = {
  nb: {
    title: "Heima",
    alert: "Sykehuset har en melding til deg.",
    seen: "Avdelingen har sett meldingen du fikk i Heima.",
    handled: "Avdelingen har fulgt opp forespørselen din om å bli kontaktet.",
    reminder: "Husk dagens registrering.",
    meeting: "Videomøtet starter snart.",
    other: "Det er nytt i Heima.",
  },
  en: {
    title: "Heima",
    alert: "The hospital has a message for you.",
    seen: "Your care team has seen the message you got in Heima.",
    handled: "Your care team has followed up your request to be contacted.",
    reminder: "Remember today's registration.",
    meeting: "Your video meeting starts soon.",
    other: "There is news in Heima.",
  },
};

type Kind = "alert" | "seen" | "handled" | "reminder" | "meeting";
const KINDS: readonly string[] = ["alert", "seen", "handled", "reminder", "meeting"] satisfies Kind[];

function kindOf(push: HeimaPush): Kind | null {
  return push.type && KINDS.includes(push.type) ? (push.type as Kind) : null;
}

self.addEventListener("message", (event) => {
  event.waitUntil(rememberLanguage(event.data));
});

/** The app's screen for a push: a route inside the scope (the app reads it from the URL hash). An
 * alert and its "seen" lead to the guidance, where each alert says whether the unit has seen it; a
 * handled request to the start, where "Contact me" and what was sent are. */
function screenFor(kind: Kind | null): string {
  if (kind === "alert" || kind === "seen") return `${SCOPE}#/guidance`;
  if (kind === "meeting") return `${SCOPE}#/video`;
  if (kind === "handled") return `${SCOPE}#/`;
  return SCOPE;
}

/** One notification per thing: a newer push about the same alert, request or meeting replaces the
 * older one (its kind in the tag, so a "seen" does not replace the alert it is about); reminders
 * replace each other. */
function tagFor(kind: Kind | null, push: HeimaPush): string {
  const id =
    kind === "alert" || kind === "seen"
      ? push.alert_id
      : kind === "handled"
        ? push.contact_request_id
        : kind === "meeting"
          ? push.meeting_id
          : undefined;
  if (kind && id) return `${kind}:${id}`;
  return kind === "reminder" ? "reminder" : "heima";
}

self.addEventListener("push", (event) => {
  let push: HeimaPush = {};
  try {
    push = (event.data?.json() ?? {}) as HeimaPush;
  } catch {
    push = {};
  }
  const kind = kindOf(push);
  event.waitUntil(
    (async () => {
      const texts = TEXTS[await notificationLanguage(self.navigator.language)];
      await self.registration.showNotification(texts.title, {
        body: kind ? texts[kind] : texts.other,
        icon: `${SCOPE}icon-192.png`,
        tag: tagFor(kind, push),
        requireInteraction: kind === "alert" && push.severity === "high",
        data: { url: screenFor(kind) },
      });
    })(),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data as { url?: string } | null)?.url ?? SCOPE;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).pathname.startsWith(SCOPE)) {
          await (client as WindowClient).navigate(url);
          await (client as WindowClient).focus();
          return;
        }
      }
      await self.clients.openWindow(url);
    })(),
  );
});
