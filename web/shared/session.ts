// A signed-in device's tokens, kept in localStorage and refreshed by rotation.
//
// The server rotates refresh tokens: each refresh answers a new pair and retires the old refresh
// token. If the answer is lost (a phone on a bad line), the server accepts the *same* old token
// again for 30 seconds and rotates once more. So the old token is kept until a new pair has been
// stored, a refresh that failed for want of a network is retried with it, and only a definite
// 401 from the server signs the device out. Concurrent callers share one refresh in flight.

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

interface StoredTokens {
  access: string;
  refresh: string;
  // When the access token expires, by this device's clock (milliseconds since the epoch).
  expiresAt: number;
}

export type RefreshOutcome = "refreshed" | "signed-out" | "offline";

const REFRESH_ATTEMPTS = 3;

export class Session {
  private inFlight: Promise<RefreshOutcome> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly storageKey: string,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {}

  private read(): StoredTokens | null {
    const raw = localStorage.getItem(this.storageKey);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as StoredTokens;
    } catch {
      return null;
    }
  }

  get signedIn(): boolean {
    return this.read() !== null;
  }

  get accessToken(): string | null {
    return this.read()?.access ?? null;
  }

  /** Whether the access token is about to expire (a minute of margin for clock skew). */
  get expiring(): boolean {
    const tokens = this.read();
    return tokens !== null && tokens.expiresAt - Date.now() < 60_000;
  }

  store(pair: TokenPair): void {
    const tokens: StoredTokens = {
      access: pair.access_token,
      refresh: pair.refresh_token,
      expiresAt: Date.now() + pair.expires_in * 1000,
    };
    localStorage.setItem(this.storageKey, JSON.stringify(tokens));
    this.notify();
  }

  clear(): void {
    localStorage.removeItem(this.storageKey);
    this.notify();
  }

  /** Called when the device signs in or out (here or in another tab). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    const onStorage = (event: StorageEvent) => {
      if (event.key === this.storageKey) listener();
    };
    window.addEventListener("storage", onStorage);
    return () => {
      this.listeners.delete(listener);
      window.removeEventListener("storage", onStorage);
    };
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** Rotate the pair. One refresh at a time: every caller in this tab waits for the same one, and
   * tabs take turns (Web Locks), so two tabs never rotate the same token and keep a retired pair. */
  refresh(): Promise<RefreshOutcome> {
    if (!this.inFlight) {
      const seen = this.read()?.refresh ?? null;
      const rotate = () => this.rotate(seen);
      const locked: Promise<RefreshOutcome> =
        "locks" in navigator
          ? // The lock is held until the rotation's promise settles; its result is the rotation's.
            (navigator.locks.request(
              `${this.storageKey}.refresh`,
              rotate,
            ) as unknown as Promise<RefreshOutcome>)
          : rotate();
      this.inFlight = locked.finally(() => {
        this.inFlight = null;
      });
    }
    return this.inFlight;
  }

  private async rotate(seen: string | null): Promise<RefreshOutcome> {
    const tokens = this.read();
    if (!tokens) return "signed-out";
    // Another tab rotated while this one waited for the lock: its pair is the current one.
    if (tokens.refresh !== seen) return "refreshed";
    for (let attempt = 0; attempt < REFRESH_ATTEMPTS; attempt++) {
      let response: Response;
      try {
        response = await this.fetcher("/api/v1/auth/refresh", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: tokens.refresh }),
        });
      } catch {
        // The answer (or the request) was lost: the same token is retried, within the server's grace.
        await pause(500 * 2 ** attempt);
        continue;
      }
      if (response.ok) {
        this.store((await response.json()) as TokenPair);
        return "refreshed";
      }
      if (response.status === 401) {
        // A token that was signed out (or replayed after the grace) will never work again.
        if (this.read()?.refresh === tokens.refresh) this.clear();
        return "signed-out";
      }
      // 429/5xx: the server is there but busy; try again shortly, keep the device signed in.
      await pause(500 * 2 ** attempt);
    }
    return "offline";
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
