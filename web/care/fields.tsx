// The care app's form controls, each inside its label: the label's words are the control's
// accessible name, and the whole label is a large target (shared/base.css). The screen holds the
// value; the control calls `onValue` with what was typed or chosen. A group of radio buttons sits
// in a fieldset whose legend names it. And the panel that opens to a form whose button says what
// the panel does.
import type {
  ComponentChildren,
  InputHTMLAttributes,
  SelectHTMLAttributes,
  TextareaHTMLAttributes,
} from "preact";
import { type MyUnit, useT } from "./state";

/** What a field sets itself, so a caller cannot pass it twice. */
type Own = "value" | "onInput" | "onChange" | "label" | "children" | "checked";

/** An input (text, number, date, password …) inside its label. */
export function TextField({
  label,
  value,
  onValue,
  ...input
}: Omit<InputHTMLAttributes<HTMLInputElement>, Own> & {
  label: ComponentChildren;
  value: string | number;
  onValue: (value: string) => void;
}) {
  return (
    <label>
      {label}
      <input {...input} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
    </label>
  );
}

/** A textarea inside its label. */
export function TextAreaField({
  label,
  value,
  onValue,
  ...textarea
}: Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, Own> & {
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
}) {
  return (
    <label>
      {label}
      <textarea {...textarea} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
    </label>
  );
}

/** A select inside its label; the options are its children. `T` is the values those options
 * carry, which is all the select can answer. */
export function SelectField<T extends string>({
  label,
  value,
  onValue,
  labelClass,
  children,
  ...select
}: Omit<SelectHTMLAttributes<HTMLSelectElement>, Own> & {
  label: ComponentChildren;
  value: T;
  onValue: (value: T) => void;
  labelClass?: string;
  children: ComponentChildren;
}) {
  return (
    <label class={labelClass}>
      {label}
      <select {...select} value={value} onChange={(e) => onValue(e.currentTarget.value as T)}>
        {children}
      </select>
    </label>
  );
}

/** A checkbox with its label after it. */
export function CheckField({
  label,
  checked,
  onChecked,
}: {
  label: ComponentChildren;
  checked: boolean;
  onChecked: (checked: boolean) => void;
}) {
  return (
    <label class="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChecked(e.currentTarget.checked)} /> {label}
    </label>
  );
}

/** One choice among a few, as radio buttons in a fieldset whose legend names the choice; what
 * the choice opens (or why it was refused) comes after the buttons as `children`. */
export function RadioGroup<T extends string>({
  legend,
  name,
  value,
  options,
  onValue,
  id,
  describedBy,
  children,
}: {
  legend: ComponentChildren;
  /** The buttons' group name, unique on the page. */
  name: string;
  value: T;
  options: [T, ComponentChildren][];
  onValue: (value: T) => void;
  id?: string;
  describedBy?: string;
  children?: ComponentChildren;
}) {
  return (
    <fieldset id={id} aria-describedby={describedBy}>
      <legend>{legend}</legend>
      {options.map(([option, label]) => (
        <label class="check" key={option}>
          <input
            type="radio"
            name={name}
            value={option}
            checked={value === option}
            onChange={() => onValue(option)}
          />{" "}
          {label}
        </label>
      ))}
      {children}
    </fieldset>
  );
}

/** The choice of one of the clinician's units ("" for all of them, where `allUnits` offers it). */
export function UnitField({
  units,
  value,
  onValue,
  allUnits = false,
  labelClass,
}: {
  units: MyUnit[];
  value: string;
  onValue: (unitId: string) => void;
  allUnits?: boolean;
  labelClass?: string;
}) {
  const { t } = useT();
  return (
    <SelectField label={t("unit")} value={value} onValue={onValue} labelClass={labelClass}>
      {allUnits && <option value="">{t("allUnits")}</option>}
      {units.map((u) => (
        <option key={u.id} value={u.id}>
          {u.name}
        </option>
      ))}
    </SelectField>
  );
}

/** An alert's or a rule's severities as options, most urgent first. */
export function SeverityOptions() {
  const { t } = useT();
  return (
    <>
      <option value="high">{t("high")}</option>
      <option value="medium">{t("medium")}</option>
      <option value="low">{t("low")}</option>
    </>
  );
}

/** A panel that opens to a form; its summary and its submit button say the same (the action). */
export function FormPanel({
  action,
  onSubmit,
  error,
  ready = true,
  children,
}: {
  action: string;
  onSubmit: () => void;
  /** Why the last submit failed, shown above the button. */
  error?: string | null;
  /** False keeps the button disabled until the form has what it needs. */
  ready?: boolean;
  children: ComponentChildren;
}) {
  return (
    <details class="panel">
      <summary>{action}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit();
        }}
      >
        {children}
        {error && <p class="error">{error}</p>}
        <button type="submit" disabled={!ready}>
          {action}
        </button>
      </form>
    </details>
  );
}
