// Push notifications for this device: the service worker (care/sw.ts) shows each alert push and a
// click opens that alert. Subscribing needs the browser vendor's push service; where it cannot be
// reached (a closed network, a headless browser) the app says so and keeps working: the worklist
// is live without push.
import { useEffect, useState } from "preact/hooks";
import { api, ok, useT } from "./state";

const SW_URL = "/care/sw.js";

export function registerServiceWorker(): void {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(SW_URL, { scope: "/care/" }).catch(() => undefined);
  }
}

function fromBase64Url(text: string): ArrayBuffer {
  const padded = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer as ArrayBuffer;
}

type State = "unknown" | "off" | "on" | "busy";

export function PushToggle() {
  const { t } = useT();
  const [state, setState] = useState<State>("unknown");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
      setState("off");
      return;
    }
    void navigator.serviceWorker.ready
      .then((registration) => registration.pushManager.getSubscription())
      .then((subscription) => setState(subscription ? "on" : "off"))
      .catch(() => setState("off"));
  }, []);

  const enable = async () => {
    setState("busy");
    setProblem(null);
    try {
      if (!("serviceWorker" in navigator) || !("PushManager" in window)) throw new Error("no Web Push");
      if ((await Notification.requestPermission()) !== "granted") throw new Error("permission refused");
      const key = ok(await api.GET("/api/v1/push/public-key")).public_key;
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: fromBase64Url(key),
      });
      const json = subscription.toJSON();
      ok(
        await api.POST("/api/v1/push/subscriptions", {
          body: {
            endpoint: json.endpoint ?? "",
            keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
          },
        }),
      );
      setState("on");
    } catch (e) {
      setProblem(t("pushUnavailable", { reason: (e as Error).message || String(e) }));
      setState("off");
    }
  };

  const disable = async () => {
    setState("busy");
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.getSubscription();
    if (subscription) {
      await api.DELETE("/api/v1/push/subscriptions", { body: { endpoint: subscription.endpoint } });
      await subscription.unsubscribe();
    }
    setState("off");
  };

  return (
    <span class="push">
      {state === "on" ? (
        <button type="button" class="secondary" onClick={disable} aria-describedby="push-state">
          {t("pushDisable")}
        </button>
      ) : (
        <button
          type="button"
          class="secondary"
          onClick={enable}
          disabled={state === "busy" || state === "unknown"}
        >
          {t("pushEnable")}
        </button>
      )}
      <span id="push-state" class="visually-hidden" role="status">
        {state === "on" ? t("pushEnabled") : ""}
      </span>
      {problem && (
        <span class="push-problem" role="status">
          {problem}
        </span>
      )}
    </span>
  );
}
