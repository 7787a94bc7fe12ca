// Times as Heima wants them: RFC 3339 with the phone's own offset, and "today" in the patient's
// time zone (a registration at 23:30 in Oslo belongs to that Oslo day, wherever the phone is).

const pad = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, "0");

/** `2026-11-22T08:30:00+01:00`: the phone's clock and time zone. */
export function offsetIso(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(offset / 60)}:${pad(offset % 60)}`
  );
}

/** The value of an `<input type="datetime-local">` for a moment, in the phone's zone. */
export function localInputValue(date: Date): string {
  return offsetIso(date).slice(0, 16);
}

/** The calendar day (YYYY-MM-DD) of a moment in a time zone. */
export function dayIn(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(date);
}

export function formatDateTime(iso: string | number, locale: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short", timeZone }).format(
    new Date(iso),
  );
}

export function formatTime(iso: string | number, locale: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone }).format(new Date(iso));
}
