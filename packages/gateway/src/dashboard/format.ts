// How values read on the pages: rupees with thousands separators, times on Pakistan's clock (FBR's and
// the people's), states in words. Pure functions, available to every template as `it.format`.
import type { InvoiceState } from "../store/schema.ts";

const PKT_OFFSET_MS = 5 * 3_600_000;

export function rupees(value: unknown): string {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "";
  return `Rs ${n.toLocaleString("en-PK", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** "2026-12-06 22:15 PKT" from an ISO instant. */
export function pkt(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === "") return "";
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return `${new Date(time + PKT_OFFSET_MS).toISOString().slice(0, 16).replace("T", " ")} PKT`;
}

/** "3 h 20 min", "2 days 4 h": how long ago, for ages against FBR's 24-hour expectation. */
export function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

export const stateLabels: Record<InvoiceState, string> = {
  queued: "Queued",
  submitting: "Sending to FBR",
  accepted: "Accepted",
  rejected: "Rejected",
  retrying: "Retrying",
  paused: "Paused",
  in_doubt: "In doubt",
  failed: "Failed",
  abandoned: "Abandoned",
  cancelled: "Cancelled",
};

/** What a person should make of each state, shown beside it on the invoice page. */
export const stateMeanings: Record<InvoiceState, string> = {
  queued: "Waiting to be sent to FBR.",
  submitting: "Being sent to FBR right now.",
  accepted: "FBR accepted it and gave it an invoice number. Nothing more to do.",
  rejected: "FBR refused it. Read the errors below, correct the invoice in your ERP and send it again.",
  retrying: "FBR could not be reached or asked us to slow down; it will be tried again by itself.",
  paused:
    "FBR refused this seller's token. An admin must set a new token in Settings; then it is sent by itself.",
  in_doubt:
    "It was sent but no clear answer came back, so FBR may or may not have it. Check IRIS, then reconcile it below.",
  failed: "Every safe attempt to reach FBR failed. Retry it, or reconcile it if you know what FBR has.",
  abandoned: "A person decided this invoice will not be reported.",
  cancelled: "FBR accepted it and it was then cancelled; the cancellation is on record.",
};

export function stateLabel(state: string): string {
  return stateLabels[state as InvoiceState] ?? state;
}

/** CSS class of a state badge: good, bad, wait or warn. */
export function stateTone(state: string): string {
  if (state === "accepted") return "good";
  if (state === "rejected" || state === "failed") return "bad";
  if (state === "in_doubt" || state === "paused") return "warn";
  return "wait";
}

/** HTML-escapes text for markup a template builds as a string (eta escapes `<%= %>` by itself). */
export function html(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
