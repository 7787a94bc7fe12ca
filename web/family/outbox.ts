// The outbox: every registration is written to IndexedDB before anything else, with the id it will
// keep on the server, and sent from there. The upload is idempotent by that id, so sending again
// after a lost answer is harmless (the server answers `duplicate`). Nothing leaves the outbox
// without a result the parent can see: stored, already stored, conflict or refused with the reason.
// A conflict or a refusal stays until the parent corrects, resends as new, or discards it.

import type { Api, Schemas } from "../shared/api";
import { describeProblem } from "../shared/api";
import { getAll, openDatabase, putAll, remove } from "../shared/idb";

export type Kind = "measurement" | "form" | "contact";
export type Status = "pending" | "created" | "duplicate" | "conflict" | "rejected";

export interface OutboxItem {
  id: string;
  kind: Kind;
  patientId: string;
  body: Record<string, unknown>;
  savedAt: number;
  status: Status;
  errors?: { field: string; message: string }[];
  detail?: string;
  answeredAt?: number;
  score?: number | null;
  /** A contact request's answer: the unit's promise to contact the family within this many hours. */
  contactWithinHours?: number | null;
}

export interface Guidance {
  patientId: string;
  alert: Schemas["AlertRef"];
  receivedAt: number;
}

const STORE = "outbox";
const BATCH = 500;
// Stored items are kept a while so the parent sees what was sent; the server has them for good.
const KEEP_DONE_MS = 2 * 24 * 3600 * 1000;

export class Outbox {
  private db: Promise<IDBDatabase>;
  private syncing: Promise<void> | null = null;
  private readonly listeners = new Set<() => void>();
  onGuidance: (guidance: Guidance[]) => void = () => {};

  constructor(
    private readonly api: Api,
    name = "heima-family",
  ) {
    this.db = openDatabase(name, 1, (db) => {
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "id" });
    });
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  async items(): Promise<OutboxItem[]> {
    const items = await getAll<OutboxItem>(await this.db, STORE);
    return items.sort((a, b) => b.savedAt - a.savedAt);
  }

  /** Save on the phone (resolves once on disk), then try to send. */
  async add(items: OutboxItem[]): Promise<void> {
    await putAll(await this.db, STORE, items);
    this.notify();
    void this.sync();
  }

  async replace(item: OutboxItem): Promise<void> {
    await putAll(await this.db, STORE, [item]);
    this.notify();
    void this.sync();
  }

  async discard(id: string): Promise<void> {
    await remove(await this.db, STORE, [id]);
    this.notify();
  }

  /** Forget everything (signing the device out): the registrations are health data. */
  async clear(): Promise<void> {
    const items = await this.items();
    await remove(
      await this.db,
      STORE,
      items.map((item) => item.id),
    );
    this.notify();
  }

  async prune(now = Date.now()): Promise<void> {
    const old = (await this.items()).filter(
      (item) =>
        (item.status === "created" || item.status === "duplicate") &&
        now - (item.answeredAt ?? 0) > KEEP_DONE_MS,
    );
    if (old.length)
      await remove(
        await this.db,
        STORE,
        old.map((item) => item.id),
      );
  }

  /** Send what is pending. One run at a time (in this tab; the server makes overlaps harmless). */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.run().finally(() => {
        this.syncing = null;
      });
    }
    return this.syncing;
  }

  private async run(): Promise<void> {
    if (!navigator.onLine) return;
    const pending = (await this.items()).filter((item) => item.status === "pending").reverse();
    const guidance: Guidance[] = [];
    try {
      const byPatient = new Map<string, OutboxItem[]>();
      for (const item of pending.filter((i) => i.kind === "measurement")) {
        byPatient.set(item.patientId, [...(byPatient.get(item.patientId) ?? []), item]);
      }
      for (const [patientId, items] of byPatient) {
        for (let start = 0; start < items.length; start += BATCH) {
          await this.sendMeasurements(patientId, items.slice(start, start + BATCH), guidance);
        }
      }
      for (const item of pending.filter((i) => i.kind !== "measurement")) {
        await this.sendOne(item, guidance);
      }
    } catch (error) {
      if (!(error instanceof NotSent)) throw error;
      // Offline, or the server is busy: everything not answered stays pending for the next run.
    } finally {
      if (guidance.length) this.onGuidance(guidance);
      this.notify();
    }
  }

  private async sendMeasurements(
    patientId: string,
    items: OutboxItem[],
    guidance: Guidance[],
  ): Promise<void> {
    const { data, error, response } = await call(() =>
      this.api.POST("/api/v1/patients/{patient_id}/measurements", {
        params: { path: { patient_id: patientId } },
        body: { measurements: items.map((item) => item.body) as never },
      }),
    );
    const now = Date.now();
    if (data) {
      const results = new Map(data.results.map((result) => [result.id, result]));
      const answered = items.map((item): OutboxItem => {
        const result = results.get(item.id);
        if (!result) return item;
        return {
          ...item,
          status: result.status,
          errors: result.errors ?? undefined,
          detail: undefined,
          answeredAt: now,
        };
      });
      await putAll(await this.db, STORE, answered);
      for (const alert of data.alerts) guidance.push({ patientId, alert, receivedAt: now });
      return;
    }
    await this.refused(items, response, error, now);
  }

  private async sendOne(item: OutboxItem, guidance: Guidance[]): Promise<void> {
    const path = { params: { path: { patient_id: item.patientId } }, body: item.body as never };
    const sent: { data?: object; error?: unknown; response: Response } =
      item.kind === "form"
        ? await call(() => this.api.POST("/api/v1/patients/{patient_id}/form-responses", path))
        : await call(() => this.api.POST("/api/v1/patients/{patient_id}/contact-requests", path));
    const now = Date.now();
    if (sent.data) {
      // A form response answers its score and alerts; a contact request its stored self.
      const answer = sent.data as {
        alerts?: Schemas["AlertRef"][];
        score?: number | null;
        contact_within_hours?: number | null;
      };
      const status = sent.response.status === 200 ? "duplicate" : "created";
      const answered = {
        score: answer.score,
        contactWithinHours: answer.contact_within_hours,
        answeredAt: now,
      };
      await putAll(await this.db, STORE, [{ ...item, status, ...answered }]);
      for (const alert of answer.alerts ?? [])
        guidance.push({ patientId: item.patientId, alert, receivedAt: now });
      return;
    }
    await this.refused([item], sent.response, sent.error, now);
  }

  /** A whole request refused: 409 is a conflict, other 4xx a refusal with the server's reason. */
  private async refused(items: OutboxItem[], response: Response, error: unknown, now: number): Promise<void> {
    if (
      response.status === 401 ||
      response.status === 408 ||
      response.status === 429 ||
      response.status >= 500
    ) {
      throw new NotSent();
    }
    const problem = error as { errors?: { field: string; message: string }[] } | undefined;
    const status: Status = response.status === 409 ? "conflict" : "rejected";
    await putAll(
      await this.db,
      STORE,
      items.map((item) => ({
        ...item,
        status,
        errors: problem?.errors ?? undefined,
        detail: describeProblem(error),
        answeredAt: now,
      })),
    );
  }
}

class NotSent extends Error {}

/** A request whose answer never came (offline, a dropped line) is "not sent", never a failure. */
async function call<T extends { response: Response }>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch {
    throw new NotSent();
  }
}
