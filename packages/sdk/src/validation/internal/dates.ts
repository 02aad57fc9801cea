// Dates as FBR checks them. Pakistan Standard Time is UTC+5 all year (no DST), and FBR dates invoices in it:
// between 19:00 and 24:00 UTC it is already tomorrow in Pakistan (an invoice dated "today" in PKT is valid
// although UTC still says yesterday), and a date after today in PKT is refused (IRIS template: "only today or past").

const PAKISTAN_OFFSET_MS = 5 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

let lastClock = Number.NaN;
let lastToday = "";

/** Today's date in Pakistan as YYYY-MM-DD (remembered for the last clock reading: batches share one `now`). */
export function pakistanToday(now: Date): string {
  const clock = now.getTime();
  if (clock !== lastClock) {
    lastToday = new Date(clock + PAKISTAN_OFFSET_MS).toISOString().slice(0, 10);
    lastClock = clock;
  }
  return lastToday;
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

export function isIsoDateShape(text: string): boolean {
  return ISO_DATE.test(text);
}
