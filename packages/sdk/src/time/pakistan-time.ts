// Pakistan time as FBR writes it: the sdk's one copy, used by the builders, the validator, the reference
// client, the IMS input normaliser, and (through the package's public API) the simulator, the gateway and
// the POS bridge. Pakistan Standard Time is UTC+05:00 all year (no daylight saving since 2009), so a fixed
// offset gives the same wall clock as the Asia/Karachi zone without depending on the host's ICU data.

/** Pakistan Standard Time's distance from UTC (+05:00, no daylight saving since 2009). */
export const PAKISTAN_UTC_OFFSET_MS = 5 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function pakistanIso(instant: Date | number): string {
  const time = typeof instant === "number" ? instant : instant.getTime();
  if (Number.isNaN(time)) throw new RangeError("invalid Date");
  return new Date(time + PAKISTAN_UTC_OFFSET_MS).toISOString();
}

/**
 * Milliseconds since midnight on the Pakistan wall clock at the instant (0 at 00:00:00.000 PKT).
 * @example pakistanMillisOfDay(Date.UTC(2025, 0, 1, 19, 0)) // 0: 19:00 UTC is midnight in Karachi
 */
export function pakistanMillisOfDay(instant: Date | number): number {
  const time = typeof instant === "number" ? instant : instant.getTime();
  return (((time + PAKISTAN_UTC_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
}

/** "yyyy-MM-dd" of the instant on a Pakistan calendar (the midnight trap: 20:00 UTC is already tomorrow). */
export function pakistanDate(instant: Date | number): string {
  return pakistanIso(instant).slice(0, 10);
}

/**
 * "yyyy-MM-dd HH:mm:ss" of the instant (a Date or epoch milliseconds) on a Pakistan wall clock, as IMS
 * DateTime and DI `dated` read.
 * @example pakistanDateTime(1747119701593) // "2025-05-13 12:01:41", the `dated` of PRAL's sample
 */
export function pakistanDateTime(instant: Date | number): string {
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

/**
 * The instant the Pakistan day `day` (YYYY-MM-DD) begins, `plusDays` later; undefined for a date that is not real.
 * @example pakistanDayStart("2026-12-06") // 2026-12-05T19:00:00.000Z: midnight in Karachi
 */
export function pakistanDayStart(day: string, plusDays = 0): Date | undefined {
  const days = calendarDay(day);
  return days === undefined ? undefined : new Date((days + plusDays) * DAY_MS - PAKISTAN_UTC_OFFSET_MS);
}

/** True when the text is a real calendar date in YYYY-MM-DD form (2025-02-30 is not). */
export function isCalendarDate(text: string): boolean {
  return calendarDay(text) !== undefined;
}

/** Whole days from one YYYY-MM-DD date to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** Year, month (1-12), day, hour, minute, second as a wall clock writes them. */
export type WallClockParts = readonly [number, number, number, number, number, number];

/** The fields of a "yyyy-MM-dd HH:mm:ss" match as numbers (seconds default to 0 when the text has none). */
export function wallClockParts(fields: readonly (string | undefined)[]): WallClockParts {
  const [year, month, day, hour, minute, second] = fields.map((field) => Number(field ?? "0"));
  return [year ?? 0, month ?? 0, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0];
}

/** True when the parts name a moment that exists: no 30 February, no 24:00, no 61st second. */
export function isRealWallClock([year, month, day, hour, minute, second]: WallClockParts): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60
  );
}
