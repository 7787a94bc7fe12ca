// What the phone holds: each registration with its result. Waiting items are counted; a conflict
// or a refusal is shown with the server's reason and ways to put it right (correct and send again,
// send as a new registration, or discard on purpose). Nothing disappears without the parent.

import { useState } from "preact/hooks";
import { local } from "../shared/i18n";
import { useApp } from "./app";
import { type MeasurementType, typesOf } from "./catalogue";
import { MeasurementForm } from "./measurement";
import type { OutboxItem, Status } from "./outbox";
import { outbox } from "./state";
import type { TextKey } from "./texts";
import { codeLabel, unitLabel } from "./texts";
import { formatDateTime } from "./time";

const STATUS_TEXT: Record<Status, TextKey> = {
  pending: "statusPending",
  created: "statusCreated",
  duplicate: "statusDuplicate",
  conflict: "statusConflict",
  rejected: "statusRejected",
};

export function OutboxList() {
  const { t, lang, locale, profile, selected, outboxItems, online } = useApp();
  const [editing, setEditing] = useState<string | null>(null);
  const ids = new Set(selected.map((p) => p.id));
  const items = outboxItems.filter((item) => ids.has(item.patientId));
  const pending = items.filter((item) => item.status === "pending").length;
  const attention = items.filter((item) => item.status === "conflict" || item.status === "rejected").length;
  if (!items.length) return null;
  const patientName = (id: string) => profile.patients.find((p) => p.id === id)?.display_name ?? "";
  const typeOf = (item: OutboxItem): MeasurementType | undefined => {
    const patient = profile.patients.find((p) => p.id === item.patientId);
    return patient
      ? typesOf(patient, profile.programmes).find((type) => type.code === item.body.type)
      : undefined;
  };
  const describe = (item: OutboxItem): string => {
    if (item.kind === "contact") return t("contactTitle");
    if (item.kind === "form") {
      const form = (profile.forms[item.patientId] ?? []).find((f) => f.code === item.body.form);
      return form ? local(form.title, lang) : String(item.body.form);
    }
    const type = typeOf(item);
    const name = type ? local(type.display, lang) : String(item.body.type);
    const value =
      item.body.components !== undefined
        ? Object.values(item.body.components as Record<string, number>).join("/")
        : typeof item.body.value === "string"
          ? local(type?.options.find((o) => o.code === item.body.value)?.display, lang) || item.body.value
          : String(item.body.value);
    const attributes = Object.values((item.body.attributes as Record<string, string>) ?? {})
      .filter((v) => typeof v === "string" && v)
      .map((v) => codeLabel(v, lang));
    return `${name}: ${value} ${unitLabel(String(item.body.unit))} ${attributes.join(", ")}`.trim();
  };

  const resend = async (item: OutboxItem, body: Record<string, unknown>, newId: boolean) => {
    const id = newId ? crypto.randomUUID() : item.id;
    const fresh: OutboxItem = {
      ...item,
      id,
      body: { ...body, id },
      status: "pending",
      errors: undefined,
      detail: undefined,
      savedAt: Date.now(),
    };
    // The new item is on disk before the old one goes: never a moment with neither.
    await outbox.replace(fresh);
    if (newId) await outbox.discard(item.id);
    setEditing(null);
  };

  return (
    <section aria-labelledby="outbox-title" class="outbox">
      <h2 id="outbox-title">{t("outboxTitle")}</h2>
      <p class={pending ? "notice warn" : "muted"} data-testid="outbox-summary">
        {pending ? t("waiting", { count: pending }) : t("allSent")}
        {pending > 0 && online && (
          <>
            {" "}
            <button type="button" class="secondary small" onClick={() => void outbox.sync()}>
              {t("sendNow")}
            </button>
          </>
        )}
      </p>
      {attention > 0 && (
        <p class="notice high" role="alert">
          {t("needsAttention", { count: attention })}
        </p>
      )}
      <ul class="plain">
        {items.map((item) => {
          const type = item.kind === "measurement" ? typeOf(item) : undefined;
          const trouble = item.status === "conflict" || item.status === "rejected";
          return (
            <li key={item.id} class={`card item ${item.status}`} data-status={item.status} data-id={item.id}>
              <div class="row spread">
                <strong>{describe(item)}</strong>
                <span class={`badge ${item.status}`}>{t(STATUS_TEXT[item.status])}</span>
              </div>
              <p class="small-text muted">
                {selected.length > 1 && `${patientName(item.patientId)} · `}
                {formatDateTime(
                  String(item.body.measured_at ?? item.body.authored_at ?? item.savedAt),
                  locale,
                )}
                {item.score != null && ` · ${t("score", { score: item.score })}`}
              </p>
              {trouble && (
                <div class="trouble">
                  {item.status === "conflict" && <p>{t("conflictReason")}</p>}
                  {item.detail && <p class="field-error">{item.detail}</p>}
                  {(item.errors ?? []).map((e) => (
                    <p key={e.field} class="field-error">
                      {e.field}: {e.message}
                    </p>
                  ))}
                  {editing === item.id && type ? (
                    <MeasurementForm
                      type={type}
                      initial={item.body}
                      onSave={(draft) => resend(item, draft.body, item.status === "conflict")}
                      onCancel={() => setEditing(null)}
                    />
                  ) : (
                    <div class="row">
                      {type && (
                        <button type="button" onClick={() => setEditing(item.id)}>
                          {t("correct")}
                        </button>
                      )}
                      {item.status === "conflict" && (
                        <button
                          type="button"
                          class="secondary"
                          onClick={() => void resend(item, item.body, true)}
                        >
                          {t("sendAsNew")}
                        </button>
                      )}
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => {
                          if (confirm(t("confirmDiscard"))) void outbox.discard(item.id);
                        }}
                      >
                        {t("discard")}
                      </button>
                    </div>
                  )}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
