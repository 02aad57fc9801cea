// Dates as FBR checks them. FBR dates invoices in Pakistan time (UTC+5, no DST): between 19:00 and 24:00 UTC
// it is already tomorrow in Pakistan (an invoice dated "today" in PKT is valid although UTC still says
// yesterday), and a date after today in PKT is refused (IRIS template: "only today or past").
// The calendar arithmetic itself is the sdk's one copy in src/time/pakistan-time.ts.
import { pakistanDate } from "../../time/pakistan-time.ts";

export { calendarDay, isIsoDateShape } from "../../time/pakistan-time.ts";

let lastClock = Number.NaN;
let lastToday = "";

/** Today's date in Pakistan as YYYY-MM-DD (remembered for the last clock reading: batches share one `now`). */
export function pakistanToday(now: Date): string {
  const clock = now.getTime();
  if (clock !== lastClock) {
    lastToday = pakistanDate(now);
    lastClock = clock;
  }
  return lastToday;
}
