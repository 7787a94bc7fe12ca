// "Contact me": the family asks the unit to get in touch. Queued like every registration (with its
// own id, so a resend is harmless), and the family is told when the unit has it.

import { useState } from "preact/hooks";
import { useApp } from "./app";
import { outbox } from "./state";

export function ContactRequest({ patientId }: { patientId: string }) {
  const { t, outboxItems } = useApp();
  const [message, setMessage] = useState("");
  const [sentId, setSentId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const sent = outboxItems.find((item) => item.id === sentId);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!message.trim()) {
      setError(t("required"));
      document.getElementById("contact-message")?.focus();
      return;
    }
    setError(null);
    const id = crypto.randomUUID();
    await outbox.add([
      {
        id,
        kind: "contact",
        patientId,
        savedAt: Date.now(),
        status: "pending",
        body: { id, message: message.trim() },
      },
    ]);
    setSentId(id);
    setMessage("");
  };

  return (
    <section class="card" aria-labelledby="contact-title">
      <h2 id="contact-title">{t("contactTitle")}</h2>
      <p>{t("contactIntro")}</p>
      <form onSubmit={submit} noValidate>
        <label for="contact-message">{t("contactMessage")}</label>
        <textarea
          id="contact-message"
          rows={2}
          maxLength={2000}
          value={message}
          onInput={(e) => setMessage(e.currentTarget.value)}
          aria-describedby={error ? "contact-error" : undefined}
        />
        {error && (
          <p class="field-error" id="contact-error">
            {error}
          </p>
        )}
        <p>
          <button type="submit">{t("contactSend")}</button>
        </p>
      </form>
      {sent && (
        <p class={`notice ${sent.status === "pending" ? "warn" : "ok"}`} role="status">
          {sent.status === "pending"
            ? t("contactQueued")
            : sent.contactWithinHours
              ? t("contactSentWithin", { hours: sent.contactWithinHours })
              : t("contactSent")}
        </p>
      )}
    </section>
  );
}
