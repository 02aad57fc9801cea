// Six-year retention (Sales Tax Act 1990 s.24: records are kept for six years after the end of the tax
// period to which they relate; the sales-tax period is a calendar month). Migration 0012 makes the database
// refuse to delete an invoice or an FBR attempt inside the window (the audit log is append-only outright),
// and this is the same rule in TypeScript, for what Raseed prints and exports.
import { PAKISTAN_UTC_OFFSET_MS } from "@raseed/sdk";

export const RETENTION_YEARS = 6;

/**
 * The first Pakistan-time day on which a record received at `receivedAt` (an ISO instant) may go: six years
 * after the end of its tax period, the calendar month (Pakistan time) it was received in. Same arithmetic
 * as migration 0012's triggers.
 */
export function retainedUntil(receivedAt: string): string {
  const local = new Date(Date.parse(receivedAt) + PAKISTAN_UTC_OFFSET_MS);
  const firstOfNextMonth = new Date(
    Date.UTC(local.getUTCFullYear() + RETENTION_YEARS, local.getUTCMonth() + 1, 1),
  );
  return firstOfNextMonth.toISOString().slice(0, 10);
}

/** Whether a record received at `receivedAt` is still inside its retention window at `now`. */
export function insideRetention(receivedAt: string, now: Date): boolean {
  const local = new Date(now.getTime() + PAKISTAN_UTC_OFFSET_MS).toISOString().slice(0, 10);
  return local < retainedUntil(receivedAt);
}
