// The live alert feed for this browser. An EventSource cannot send an Authorization header, so it
// gets in with a single-use ticket the server sets as an HttpOnly cookie scoped to the stream
// (POST /alerts/stream/ticket): no token ever appears in a URL. The ticket works once, so every
// (re)connection asks for a new one; after each (re)connection the caller re-reads GET /alerts,
// since the stream replays nothing.
import { api } from "./state";

export interface LiveAlertEvent {
  id: string;
  patient_id: string;
  rule: string;
  severity: "high" | "medium" | "low";
  status: "open" | "acknowledged" | "resolved";
  title: string;
  title_nb: string | null;
  raised_at: string;
  last_seen_at: string;
  occurrences: number;
  acknowledged_at: string | null;
  resolved_at: string | null;
  reach: "delivered" | "digest" | "sending" | "unreachable";
}

export interface LiveHandlers {
  onOpen: () => void;
  onAlert: (event: LiveAlertEvent) => void;
  onDown: () => void;
}

/** Connect and keep connecting (with backoff) until the returned function is called. */
export function connectLive(handlers: LiveHandlers): () => void {
  let source: EventSource | null = null;
  let stopped = false;
  let failures = 0;
  let timer: number | undefined;

  const open = async () => {
    if (stopped) return;
    try {
      const ticket = await api.POST("/api/v1/alerts/stream/ticket");
      if (!ticket.response.ok) throw new Error(String(ticket.response.status));
    } catch {
      return retry();
    }
    if (stopped) return;
    source = new EventSource("/api/v1/alerts/stream", { withCredentials: true });
    source.onopen = () => {
      failures = 0;
      handlers.onOpen();
    };
    source.addEventListener("alert", (event) => {
      handlers.onAlert(JSON.parse((event as MessageEvent<string>).data) as LiveAlertEvent);
    });
    source.addEventListener("resync", () => handlers.onOpen());
    source.onerror = () => {
      // The browser would reconnect with the spent ticket: close, and come back with a new one.
      source?.close();
      source = null;
      handlers.onDown();
      retry();
    };
  };

  const retry = () => {
    if (stopped) return;
    failures += 1;
    timer = window.setTimeout(open, Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)));
  };

  void open();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    source?.close();
  };
}
