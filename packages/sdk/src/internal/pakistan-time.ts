// Dates as FBR reads them, shared by the builders (model/), the validator (validation/) and the reference
// client (reference/). Pakistan Standard Time is UTC+05:00 all year (no daylight saving since 2009), so a
// fixed offset gives the same wall clock as the Asia/Karachi zone without depending on the host's ICU data.

const PAKISTAN_OFFSET_MS = 5 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function pakistanIso(instant: Date): string {
  if (Number.isNaN(instant.getTime())) throw new RangeError("invalid Date");
  return new Date(instant.getTime() + PAKISTAN_OFFSET_MS).toISOString();
}

/** "yyyy-MM-dd" of the instant on a Pakistan calendar (the midnight trap: 20:00 UTC is already tomorrow). */
export function pakistanDate(instant: Date): string {
  return pakistanIso(instant).slice(0, 10);
}

/** "yyyy-MM-dd HH:mm:ss" of the instant on a Pakistan wall clock, as IMS DateTime and DI `dated` read. */
export function pakistanDateTime(instant: Date): string {
  const iso = pakistanIso(instant);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** True when the text has the YYYY-MM-DD shape, real date or not. */
export function isIsoDateShape(text: string): boolean {
  return ISO_DATE.test(text);
}

/** Days since 1970-01-01 for a real calendar date in YYYY-MM-DD; undefined for 2025-02-30 or bad text. */
export function calendarDay(text: string): number | undefined {
  const match = ISO_DATE.exec(text);
  if (match === null) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const time = Date.UTC(year, month - 1, day);
  const check = new Date(time);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  return time / DAY_MS;
}

/** True when the text is a real calendar date in YYYY-MM-DD form (2025-02-30 is not). */
export function isCalendarDate(text: string): boolean {
  return calendarDay(text) !== undefined;
}

/** Whole days from one YYYY-MM-DD date to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}
