// A self-registration form rendered from its definition (GET /patients/{id}/forms): each item's
// type (boolean, integer, decimal, choice, text), its bounds, unit, options and texts in both
// languages. No form is written into the app; a new form version shows up as it is defined.

import { useState } from "preact/hooks";
import { local } from "../shared/i18n";
import { useApp } from "./app";
import type { Form, FormItem } from "./catalogue";
import { parseNumber } from "./measurement";
import { outbox } from "./state";
import { unitLabel } from "./texts";
import { offsetIso } from "./time";

type Answer = string | boolean | undefined;

function checkItem(item: FormItem, answer: Answer, t: ReturnType<typeof useApp>["t"]): string | null {
  const empty = answer === undefined || answer === "";
  if (empty) return item.required ? t("required") : null;
  if (item.type === "integer" || item.type === "decimal") {
    const value = parseNumber(String(answer));
    if (value === null) return t("notANumber");
    if (item.type === "integer" && !Number.isInteger(value)) return t("notWhole");
    const unit = unitLabel(item.unit);
    if (item.min != null && item.max != null && (value < item.min || value > item.max)) {
      return t("between", { min: item.min, max: item.max, unit });
    }
    if (item.min != null && value < item.min) return t("atLeast", { min: item.min, unit });
    if (item.max != null && value > item.max) return t("atMost", { max: item.max, unit });
  }
  if (item.type === "text" && item.max_length != null && String(answer).length > item.max_length)
    return t("tooLong");
  return null;
}

function toAnswer(item: FormItem, answer: Answer): unknown {
  if (item.type === "integer" || item.type === "decimal") return parseNumber(String(answer));
  if (item.type === "text") return String(answer).trim();
  return answer;
}

export function FormView({
  form,
  patientId,
  onDone,
  onCancel,
}: {
  form: Form;
  patientId: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const { t, lang } = useApp();
  const [answers, setAnswers] = useState<Record<string, Answer>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const id = (linkId: string) => `f-${form.code}-${linkId}`;

  const submit = async (event: Event) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    for (const item of form.items) {
      const problem = checkItem(item, answers[item.link_id], t);
      if (problem) found[item.link_id] = problem;
    }
    setErrors(found);
    const first = form.items.find((item) => found[item.link_id]);
    if (first) {
      document.getElementById(id(first.link_id))?.focus();
      return;
    }
    const given = form.items.filter(
      (item) => answers[item.link_id] !== undefined && answers[item.link_id] !== "",
    );
    const responseId = crypto.randomUUID();
    await outbox.add([
      {
        id: responseId,
        kind: "form",
        patientId,
        savedAt: Date.now(),
        status: "pending",
        body: {
          id: responseId,
          form: form.code,
          version: form.version,
          authored_at: offsetIso(new Date()),
          answers: Object.fromEntries(
            given.map((item) => [item.link_id, toAnswer(item, answers[item.link_id])]),
          ),
        },
      },
    ]);
    onDone();
  };

  const error = (item: FormItem) =>
    errors[item.link_id] ? (
      <p class="field-error" id={`${id(item.link_id)}-error`}>
        {errors[item.link_id]}
      </p>
    ) : null;

  return (
    <form class="card" onSubmit={submit} noValidate data-form={form.code}>
      <h2>{local(form.title, lang)}</h2>
      {form.description && <p class="muted">{local(form.description, lang)}</p>}
      {form.items.map((item) => {
        const text = `${local(item.text, lang)}${item.required ? " *" : ""}`;
        const describedBy = errors[item.link_id] ? `${id(item.link_id)}-error` : undefined;
        const set = (value: Answer) => setAnswers((old) => ({ ...old, [item.link_id]: value }));
        if (item.type === "boolean" || item.type === "choice") {
          const options =
            item.type === "boolean"
              ? [
                  { code: true, label: t("yes") },
                  { code: false, label: t("no") },
                ]
              : (item.options ?? []).map((option) => ({
                  code: option.code,
                  label: local(option.text, lang),
                }));
          return (
            <fieldset key={item.link_id} aria-describedby={describedBy}>
              <legend>{text}</legend>
              {options.map((option, index) => (
                <label key={String(option.code)} class="choice">
                  <input
                    type="radio"
                    id={index === 0 ? id(item.link_id) : undefined}
                    name={id(item.link_id)}
                    checked={answers[item.link_id] === option.code}
                    onChange={() => set(option.code)}
                  />
                  {option.label}
                </label>
              ))}
              {error(item)}
            </fieldset>
          );
        }
        return (
          <div key={item.link_id}>
            <label for={id(item.link_id)}>
              {text} {unitLabel(item.unit) && `(${unitLabel(item.unit)})`}
            </label>
            {item.type === "text" ? (
              <textarea
                id={id(item.link_id)}
                rows={3}
                maxLength={item.max_length ?? undefined}
                value={String(answers[item.link_id] ?? "")}
                onInput={(e) => set(e.currentTarget.value)}
                aria-describedby={describedBy}
              />
            ) : (
              <input
                id={id(item.link_id)}
                inputMode={item.type === "integer" ? "numeric" : "decimal"}
                value={String(answers[item.link_id] ?? "")}
                onInput={(e) => set(e.currentTarget.value)}
                aria-invalid={Boolean(errors[item.link_id])}
                aria-describedby={describedBy}
              />
            )}
            {error(item)}
          </div>
        );
      })}
      <div class="row actions">
        <button type="submit">{t("save")}</button>
        <button type="button" class="secondary" onClick={onCancel}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}
