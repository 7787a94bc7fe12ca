// The care app's service worker (scope /care/): shows Heima's alert pushes and opens the alert on a
// click. A push carries no health data, only `{"type":"alert","alert_id","severity"}`, so the
// notification says only how urgent it is, in the language chosen in the app. The app shell is not
// cached: the care app is used on a hospital network, and a stale worklist is worse than none.

// It imports only the worker-side helpers of web/shared/sw-language.ts (nothing the page imports),
// so it builds to one standalone file (sw.js).
import { notificationLanguage, rememberLanguage } from "../shared/sw-language";

declare const self: ServiceWorkerGlobalScope;

const SCOPE = new URL(self.registration.scope).pathname; // "/care/"

interface AlertPush {
  type?: string;
  alert_id?: string;
  severity?: "high" | "medium" | "low";
}

const TITLES = {
  nb: {
    high: "Høyt varsel i Heima",
    medium: "Varsel i Heima",
    low: "Lavt varsel i Heima",
    other: "Nytt i Heima",
  },
  en: {
    high: "High alert in Heima",
    medium: "Alert in Heima",
    low: "Low alert in Heima",
    other: "News in Heima",
  },
};

self.addEventListener("install", () => {
  void self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("push", (event) => {
  let push: AlertPush = {};
  try {
    push = (event.data?.json() as AlertPush) ?? {};
  } catch {
    push = {};
  }
  const severity = push.severity ?? "other";
  const url = push.alert_id ? `${SCOPE}alerts/${encodeURIComponent(push.alert_id)}` : SCOPE;
  event.waitUntil(
    (async () => {
      const lang = await notificationLanguage(self.navigator.language);
      await self.registration.showNotification(TITLES[lang][severity in TITLES[lang] ? severity : "other"], {
        body: lang === "en" ? "Open the worklist to see it." : "Åpne arbeidslisten for å se det.",
        tag: push.alert_id ?? "heima",
        requireInteraction: push.severity === "high",
        data: { url },
        icon: `${SCOPE}icon-192.png`,
      });
    })(),
  );
});

self.addEventListener("message", (event) => {
  event.waitUntil(rememberLanguage(event.data));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data as { url?: string })?.url ?? SCOPE, self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if (client.url.startsWith(self.location.origin + SCOPE)) {
          await client.focus();
          return void (await client.navigate(url));
        }
      }
      await self.clients.openWindow(url);
    })(),
  );
});
