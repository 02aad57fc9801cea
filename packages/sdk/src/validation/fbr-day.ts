// The day FBR judges invoiceDate by. Integrators report that FBR refuses an invoice dated today between
// 00:00 and 05:00 Pakistan time with 0043: its check uses the UTC calendar day, which reaches Pakistan's
// date only at 05:00 PKT (UTC+5) [SINGLE: integrator reports, issue 12]. Pakistan's day stays what the
// invoice is dated by (the IRIS template's "today"); this only says when FBR will take it.
import { calendarDay } from "../time/pakistan-time.ts";

/** The UTC calendar day of an instant ("2025-05-24"): the day FBR is reported to judge invoiceDate by. */
export function fbrJudgementDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * When an invoice dated `invoiceDate` can be posted without FBR calling its date future (0043): the
 * instant its UTC day begins (05:00 PKT on that date) if that is still ahead of `now`; undefined when it
 * can be posted now (or the date is not a real YYYY-MM-DD, which validation reports).
 * @example
 * fbrPostNotBefore("2025-05-25", new Date("2025-05-24T21:00:00Z")); // 2025-05-25T00:00:00Z, 05:00 PKT
 */
export function fbrPostNotBefore(invoiceDate: string, now: Date): Date | undefined {
  if (calendarDay(invoiceDate) === undefined) return undefined;
  return invoiceDate > fbrJudgementDay(now) ? new Date(`${invoiceDate}T00:00:00.000Z`) : undefined;
}
