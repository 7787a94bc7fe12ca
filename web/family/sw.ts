export type {};

// The family app's service worker (scope /app/): keeps the app shell so the app opens offline, and
// shows Heima's pushes. It imports nothing, so it builds to one standalone file (sw.js).
//
// The shell: on install, the page and every asset it names (Vite's hashed files) are cached;
// pages are served network first (a new release arrives when online), assets cache first (their
// names change when their content does). The API is never cached: registrations wait in the
// app's own queue (IndexedDB), not here.
//
// Pushes carry no health data: `{"type", "alert_id"?, "meeting_id"?, "patient_id"?, "severity"?}`.
// The notification says only what kind of news there is (a registration due, a meeting starting),
// and a click opens the app on the screen the push names.

declare const self: ServiceWorkerGlobalScope;

const SHELL = "heima-family-shell-v1";
const SCOPE = new URL(self.registration.scope).pathname; // "/app/"

self.addEventListener("install", (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== SHELL) await caches.delete(name);
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
  meeting_id?: string;
  patient_id?: string;
  severity?: string;
}

const TEXTS = {
  nb: {
    title: "Heima",
    alert: "Sykehuset har en melding til deg.",
    reminder: "Husk dagens registrering.",
    meeting: "Videomøtet starter snart.",
    other: "Det er nytt i Heima.",
  },
  en: {
    title: "Heima",
    alert: "The hospital has a message for you.",
    reminder: "Remember today's registration.",
    meeting: "Your video meeting starts soon.",
    other: "There is news in Heima.",
  },
};

function bodyFor(push: HeimaPush, texts: (typeof TEXTS)["nb"]): string {
  if (push.type === "alert" || push.type === "reminder" || push.type === "meeting") return texts[push.type];
  return texts.other;
}

function language(): "nb" | "en" {
  const lang = (self.navigator.language || "nb").toLowerCase();
  return lang.startsWith("en") ? "en" : "nb";
}

/** The app's screen for a push: a route inside the scope (the app reads it from the URL hash). */
function screenFor(push: HeimaPush): string {
  if (push.type === "alert") return `${SCOPE}#/guidance`;
  if (push.type === "meeting") return `${SCOPE}#/video`;
  return SCOPE;
}

self.addEventListener("push", (event) => {
  let push: HeimaPush = {};
  try {
    push = (event.data?.json() ?? {}) as HeimaPush;
  } catch {
    push = {};
  }
  const texts = TEXTS[language()];
  event.waitUntil(
    self.registration.showNotification(texts.title, {
      body: bodyFor(push, texts),
      icon: `${SCOPE}icon-192.png`,
      tag: push.alert_id ?? push.meeting_id ?? (push.type === "reminder" ? "reminder" : "heima"),
      requireInteraction: push.severity === "high",
      data: { url: screenFor(push) },
    }),
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
