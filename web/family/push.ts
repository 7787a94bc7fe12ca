// Web Push for the family: subscribe through the service worker with Heima's VAPID key and hand the
// subscription to Heima. The push services are the browser vendor's; where one cannot be reached
// (a closed network, a browser without one) subscribing fails, which the app says and shrugs off:
// guidance still shows in the app itself.

import { api } from "./state";

export type PushState = "on" | "off" | "blocked" | "failed" | "unsupported";

function supported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

export async function pushState(): Promise<PushState> {
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "blocked";
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  return subscription ? "on" : "off";
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(base64url.length / 4) * 4, "=");
  const raw = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

export async function enablePush(): Promise<PushState> {
  if (!supported()) return "unsupported";
  try {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") return permission === "denied" ? "blocked" : "off";
    const { data } = await api.GET("/api/v1/push/public-key");
    if (!data) return "failed";
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(data.public_key),
    });
    const { response } = await api.POST("/api/v1/push/subscriptions", {
      body: subscription.toJSON() as never,
    });
    if (!response.ok) {
      await subscription.unsubscribe();
      return "failed";
    }
    return "on";
  } catch {
    return "failed";
  }
}
