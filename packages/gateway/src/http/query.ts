// Query strings and small JSON bodies, parsed with zod into messages that name the field and say what is
// wanted ("limit must be a whole number from 1 to 500"), never zod's "Invalid input" or "received NaN"
// (issue 14).
import { isCalendarDate, pakistanDayStart } from "@raseed/sdk";
import { z } from "zod";
import type { InvoiceSearch } from "../invoices/invoice-reads.ts";
import { invoiceStates } from "../store/schema.ts";
import { ApiError } from "./api-error.ts";

function describeIssue(issue: z.core.$ZodIssue, where: string): string {
  const field = issue.path.map(String).join(".");
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown ${where} ${issue.keys.length === 1 ? "field" : "fields"} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    case "invalid_value":
      return `${field || where} must be one of ${issue.values.map(String).join(", ")}`;
    case "invalid_type":
      if (issue.message.includes("received undefined")) return `${field || where} is required`;
      break;
    case "too_small":
      if (!issue.message.startsWith("Too small")) break;
      return `${field} must be at least ${String(issue.minimum)}${issue.origin === "string" ? " characters" : ""}`;
    case "too_big":
      if (!issue.message.startsWith("Too big")) break;
      return `${field} must be at most ${String(issue.maximum)}${issue.origin === "string" ? " characters" : ""}`;
  }
  // Our own messages start with "must" or "is"; they read after the field's name.
  if (/^(must|is) /.test(issue.message)) return `${field || where} ${issue.message}`;
  return field === "" ? issue.message : `${field}: ${issue.message}`;
}

/** Parses a query string (or a small body: `where` "body") or answers 400 bad_request naming each field. */
export function parseQuery<T extends z.ZodType>(schema: T, value: unknown, where = "query"): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const message = result.error.issues.map((issue) => describeIssue(issue, where)).join("; ");
    throw new ApiError("bad_request", message);
  }
  return result.data;
}

/** A whole number from a query string, with a message that names the range instead of "received NaN". */
export function wholeNumber(min: number, max: number): z.ZodType<number, string> {
  const wanted = `must be a whole number from ${min} to ${max}`;
  return z.coerce
    .number({ error: wanted })
    .int(wanted)
    .min(min, wanted)
    .max(max, wanted) as unknown as z.ZodType<number, string>;
}

/** A number of seconds to wait, 0 to max. */
export function waitSeconds(max: number): z.ZodType<number, string> {
  const wanted = `must be a number of seconds from 0 to ${max}`;
  return z.coerce.number({ error: wanted }).min(0, wanted).max(max, wanted) as unknown as z.ZodType<
    number,
    string
  >;
}

/** A Pakistan calendar date, as FBR's invoiceDate is written. */
export const calendarDate = z
  .string()
  .refine(
    isCalendarDate,
    "must be the invoice's date written YYYY-MM-DD (Pakistan calendar), e.g. 2026-12-01; " +
      "for when Raseed stored it use createdFrom/createdTo",
  );

/** An instant (ISO 8601 with a time and offset) or a Pakistan calendar day (YYYY-MM-DD). */
export const instantOrDay = z
  .string()
  .refine(
    (text) =>
      isCalendarDate(text) ||
      (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) && !Number.isNaN(Date.parse(text))),
    "must be a date (YYYY-MM-DD, a Pakistan day) or an ISO 8601 instant such as 2026-12-01T09:30:00+05:00",
  );

/**
 * The filters every invoice list takes (DI and IMS): the invoice's own date in Pakistan time, both ends
 * inclusive (`from=2026-12-01&to=2026-12-06` includes the 6th), and, separately, when Raseed stored it.
 */
export const invoiceListFilters = {
  state: z.enum(invoiceStates as [string, ...string[]]).optional(),
  from: calendarDate.optional().describe("The invoice's date on or after this day (YYYY-MM-DD, Pakistan)"),
  to: calendarDate.optional().describe("The invoice's date on or before this day (inclusive)"),
  createdFrom: instantOrDay
    .optional()
    .describe("Stored at or after this instant (or from the start of this Pakistan day)"),
  createdTo: instantOrDay
    .optional()
    .describe("Stored at or before this instant (or by the end of this Pakistan day)"),
  limit: wholeNumber(1, 500).default(50),
  cursor: z.string().min(1).optional().describe("nextCursor of the previous page"),
};

/** A list query's own dates, checked together and turned into the store's search fields. */
export function listRange(query: {
  from?: string | undefined;
  to?: string | undefined;
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
}): Pick<InvoiceSearch, "invoiceDateFrom" | "invoiceDateTo" | "createdFrom" | "createdBefore"> {
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    throw new ApiError("bad_request", `from (${query.from}) is after to (${query.to})`);
  }
  const start = (text: string) => (isCalendarDate(text) ? pakistanDayStart(text) : new Date(text));
  // An instant is inclusive, so the exclusive bound is one millisecond later (created_at keeps milliseconds).
  const end = (text: string) =>
    isCalendarDate(text) ? pakistanDayStart(text, 1) : new Date(Date.parse(text) + 1);
  const createdFrom = query.createdFrom === undefined ? undefined : start(query.createdFrom)?.toISOString();
  const createdBefore = query.createdTo === undefined ? undefined : end(query.createdTo)?.toISOString();
  if (createdFrom !== undefined && createdBefore !== undefined && createdFrom >= createdBefore) {
    throw new ApiError(
      "bad_request",
      `createdFrom (${query.createdFrom}) is after createdTo (${query.createdTo})`,
    );
  }
  return {
    invoiceDateFrom: query.from,
    invoiceDateTo: query.to,
    createdFrom,
    createdBefore,
  };
}
