// One measurement, drawn from its type in the catalogue: a value (or a choice, or components such
// as systolic/diastolic), the type's attributes (a feed's route, a vomit's size and colour), the
// time (now, by the phone's clock and zone) and a note. The checks are the catalogue's ranges.

import { useState } from "preact/hooks";
import { local } from "../shared/i18n";
import { type T, useApp } from "./app";
import type { MeasurementType } from "./catalogue";
import { codeLabel, unitLabel } from "./texts";
import { localInputValue, offsetIso } from "./time";

export interface MeasurementDraft {
  body: Record<string, unknown>;
}

interface Fields {
  value: string;
  unit: string;
  components: Record<string, string>;
  attributes: Record<string, string | boolean>;
  time: string;
  note: string;
}

const LAST_KEY = "heima.family.last.";
// The phone's clock may run a little ahead of the server's; the server allows a small skew too.
const FUTURE_SLACK_MS = 5 * 60 * 1000;

/** A number typed by a person: a decimal comma is a decimal point; anything else is not a number. */
export function parseNumber(text: string): number | null {
  const cleaned = text.trim().replace(",", ".");
  if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return null;
  return Number(cleaned);
}

function rangeError(
  t: T,
  value: number,
  min: number | null,
  max: number | null,
  unit: string,
): string | null {
  const shown = unitLabel(unit);
  if (min !== null && max !== null && (value < min || value > max))
    return t("between", { min, max, unit: shown });
  if (min !== null && value < min) return t("atLeast", { min, unit: shown });
  if (max !== null && value > max) return t("atMost", { max, unit: shown });
  return null;
}

function initialFields(type: MeasurementType, initial?: Record<string, unknown>): Fields {
  const last = JSON.parse(localStorage.getItem(LAST_KEY + type.code) ?? "{}") as Partial<Fields>;
  const attributes: Record<string, string | boolean> = { ...(last.attributes ?? {}) };
  for (const [name, spec] of Object.entries(type.attributes)) {
    if (!(name in attributes) && spec.type === "choice" && spec.required && spec.options?.length) {
      attributes[name] = spec.options[0];
    }
  }
  if (initial) {
    return {
      value: initial.value === undefined || initial.value === null ? "" : String(initial.value),
      unit: String(initial.unit ?? type.canonical_unit),
      components: Object.fromEntries(
        Object.entries((initial.components as Record<string, number>) ?? {}).map(([k, v]) => [k, String(v)]),
      ),
      attributes: (initial.attributes as Record<string, string | boolean>) ?? {},
      time: localInputValue(new Date(String(initial.measured_at))),
      note: String(initial.note ?? ""),
    };
  }
  return {
    // A feed is most often the same volume as the last one.
    value: type.code === "feeding_volume" ? (last.value ?? "") : "",
    unit: last.unit && last.unit in type.units ? last.unit : type.canonical_unit,
    components: {},
    attributes,
    time: localInputValue(new Date()),
    note: "",
  };
}

function check(type: MeasurementType, fields: Fields, t: T): Record<string, string> {
  const errors: Record<string, string> = {};
  if (type.value_kind === "quantity") {
    const value = parseNumber(fields.value);
    if (fields.value.trim() === "") errors.value = t("required");
    else if (value === null) errors.value = t("notANumber");
    else {
      // The range is in the canonical unit; a value in another accepted unit is converted first.
      const conversion = type.units[fields.unit] ?? { factor: 1, offset: 0 };
      const canonical = value * conversion.factor + conversion.offset;
      const problem = rangeError(t, canonical, type.min, type.max, type.canonical_unit);
      if (problem) errors.value = problem;
    }
  } else if (type.value_kind === "coded") {
    if (!fields.value) errors.value = t("required");
  } else {
    for (const component of type.components) {
      const text = fields.components[component.name] ?? "";
      const value = parseNumber(text);
      if (text.trim() === "") {
        if (component.required) errors[`components.${component.name}`] = t("required");
      } else if (value === null) errors[`components.${component.name}`] = t("notANumber");
      else {
        const problem = rangeError(t, value, component.min, component.max, type.canonical_unit);
        if (problem) errors[`components.${component.name}`] = problem;
      }
    }
  }
  for (const [name, spec] of Object.entries(type.attributes)) {
    if (spec.required && (fields.attributes[name] === undefined || fields.attributes[name] === "")) {
      errors[`attributes.${name}`] = t("required");
    }
  }
  const when = new Date(fields.time);
  if (Number.isNaN(when.getTime())) errors.time = t("required");
  else if (when.getTime() > Date.now() + FUTURE_SLACK_MS) errors.time = t("inTheFuture");
  if (fields.note.length > 2000) errors.note = t("tooLong");
  return errors;
}

function toBody(type: MeasurementType, fields: Fields): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: type.code,
    unit: type.value_kind === "quantity" ? fields.unit : type.canonical_unit,
    measured_at: offsetIso(new Date(fields.time)),
  };
  if (type.value_kind === "quantity") body.value = parseNumber(fields.value);
  else if (type.value_kind === "coded") body.value = fields.value;
  else {
    body.components = Object.fromEntries(
      type.components
        .filter((c) => (fields.components[c.name] ?? "").trim() !== "")
        .map((c) => [c.name, parseNumber(fields.components[c.name])]),
    );
  }
  const attributes = Object.fromEntries(
    Object.entries(fields.attributes).filter(([name]) => name in type.attributes),
  );
  if (Object.keys(attributes).length) body.attributes = attributes;
  if (fields.note.trim()) body.note = fields.note.trim();
  return body;
}

export function MeasurementForm({
  type,
  initial,
  onSave,
  onCancel,
}: {
  type: MeasurementType;
  initial?: Record<string, unknown>;
  onSave: (draft: MeasurementDraft) => Promise<void> | void;
  onCancel: () => void;
}) {
  const { t, lang } = useApp();
  const [fields, setFields] = useState<Fields>(() => initialFields(type, initial));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = (patch: Partial<Fields>) => setFields((old) => ({ ...old, ...patch }));
  const id = (name: string) => `m-${type.code}-${name}`;

  const submit = async (event: Event) => {
    event.preventDefault();
    const found = check(type, fields, t);
    setErrors(found);
    if (Object.keys(found).length) {
      document.getElementById(id(Object.keys(found)[0].replace(/\W/g, "-")))?.focus();
      return;
    }
    localStorage.setItem(
      LAST_KEY + type.code,
      JSON.stringify({ value: fields.value, unit: fields.unit, attributes: fields.attributes }),
    );
    await onSave({ body: toBody(type, fields) });
  };

  const error = (key: string) =>
    errors[key] ? (
      <p class="field-error" id={`${id(key.replace(/\W/g, "-"))}-error`}>
        {errors[key]}
      </p>
    ) : null;
  const described = (key: string) => (errors[key] ? `${id(key.replace(/\W/g, "-"))}-error` : undefined);

  return (
    <form onSubmit={submit} class="card" noValidate>
      <h2>{local(type.display, lang)}</h2>
      {type.value_kind === "quantity" && (
        <>
          <label for={id("value")}>
            {local(type.display, lang)} {unitLabel(fields.unit) && `(${unitLabel(fields.unit)})`}
          </label>
          <div class="row nowrap">
            <input
              id={id("value")}
              inputMode="decimal"
              value={fields.value}
              onInput={(e) => set({ value: e.currentTarget.value })}
              aria-invalid={Boolean(errors.value)}
              aria-describedby={described("value")}
              class="big-input"
            />
            {Object.keys(type.units).length > 1 && (
              <select
                aria-label={`${local(type.display, lang)}: unit`}
                value={fields.unit}
                onChange={(e) => set({ unit: e.currentTarget.value })}
                class="unit-select"
              >
                {Object.keys(type.units).map((unit) => (
                  <option key={unit} value={unit}>
                    {unitLabel(unit) || unit}
                  </option>
                ))}
              </select>
            )}
          </div>
          {error("value")}
        </>
      )}
      {type.value_kind === "coded" && (
        <fieldset aria-describedby={described("value")}>
          <legend>{local(type.display, lang)}</legend>
          {type.options.map((option) => (
            <label key={option.code} class="choice">
              <input
                type="radio"
                name={id("value")}
                id={fields.value === "" && option === type.options[0] ? id("value") : undefined}
                checked={fields.value === option.code}
                onChange={() => set({ value: option.code })}
              />
              {local(option.display, lang)}
            </label>
          ))}
          {error("value")}
        </fieldset>
      )}
      {type.value_kind === "components" &&
        type.components.map((component) => {
          const key = `components.${component.name}`;
          return (
            <div key={component.name}>
              <label for={id(key.replace(/\W/g, "-"))}>
                {local(component.display, lang)} ({unitLabel(type.canonical_unit)})
              </label>
              <input
                id={id(key.replace(/\W/g, "-"))}
                inputMode="numeric"
                value={fields.components[component.name] ?? ""}
                onInput={(e) =>
                  set({ components: { ...fields.components, [component.name]: e.currentTarget.value } })
                }
                aria-invalid={Boolean(errors[key])}
                aria-describedby={described(key)}
                class="big-input"
              />
              {error(key)}
            </div>
          );
        })}
      {Object.entries(type.attributes).map(([name, spec]) =>
        spec.type === "choice" ? (
          <fieldset key={name}>
            <legend>{codeLabel(name, lang)}</legend>
            <div class="row">
              {(spec.options ?? []).map((option) => (
                <button
                  key={option}
                  type="button"
                  class="secondary"
                  aria-pressed={fields.attributes[name] === option}
                  onClick={() =>
                    set({
                      attributes: {
                        ...fields.attributes,
                        [name]: fields.attributes[name] === option && !spec.required ? "" : option,
                      },
                    })
                  }
                >
                  {codeLabel(option, lang)}
                </button>
              ))}
            </div>
            {error(`attributes.${name}`)}
          </fieldset>
        ) : (
          <label key={name} class="choice">
            <input
              type="checkbox"
              checked={fields.attributes[name] === true}
              onChange={(e) => set({ attributes: { ...fields.attributes, [name]: e.currentTarget.checked } })}
            />
            {codeLabel(name, lang)}
          </label>
        ),
      )}
      <label for={id("time")}>{t("time")}</label>
      <input
        id={id("time")}
        type="datetime-local"
        value={fields.time}
        onInput={(e) => set({ time: e.currentTarget.value })}
        aria-invalid={Boolean(errors.time)}
        aria-describedby={described("time")}
      />
      {error("time")}
      <label for={id("note")}>{t("note")}</label>
      <textarea
        id={id("note")}
        rows={2}
        maxLength={2000}
        value={fields.note}
        onInput={(e) => set({ note: e.currentTarget.value })}
      />
      <div class="row actions">
        <button type="submit">{t("save")}</button>
        <button type="button" class="secondary" onClick={onCancel}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}
