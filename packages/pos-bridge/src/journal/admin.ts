// Operator views of the journal for `raseed pos-bridge status` and `raseed pos-bridge reconcile`. They read
// and write the journal file directly, so they work whether or not the bridge is running (SQLite WAL).
import { existsSync } from "node:fs";
import { fbrNumberProblem } from "@raseed/sdk";
import type { JournaledSale, SaleJournal, SaleState } from "./journal.ts";

export interface SaleSummary {
  posId: number;
  usin: string;
  state: SaleState;
  fbrInvoiceNumber: string | null;
  provisional: boolean;
  attempts: number;
  receivedAt: string;
  lastOutcome: string | null;
  lastReason: string | null;
  /** In doubt only: a fiscal number FBR gave in an upload attempt whose settle was lost. */
  fiscalNumberInAttempts?: string;
}

export interface BridgeStatusReport {
  journal: string;
  byState: Record<SaleState, number>;
  /** Age in hours of the oldest sale FBR has not acknowledged, or null with no backlog. */
  oldestUnreportedHours: number | null;
  /** Sales that need attention or are still waiting (not accepted), oldest first. */
  open: SaleSummary[];
}

function summarise(sale: JournaledSale, journal?: SaleJournal): SaleSummary {
  const summary: SaleSummary = {
    posId: sale.posId,
    usin: sale.usin,
    state: sale.state,
    fbrInvoiceNumber: sale.fbrInvoiceNumber,
    provisional: sale.provisional,
    attempts: sale.attempts,
    receivedAt: new Date(sale.receivedAt).toISOString(),
    lastOutcome: sale.lastOutcome,
    lastReason: sale.lastReason,
  };
  if (journal !== undefined && sale.state === "in_doubt") {
    const found = journal.fiscalNumberFromAttempts(sale.id);
    if (found !== null) summary.fiscalNumberInAttempts = found;
  }
  return summary;
}

/** The sales in doubt, each with any fiscal number its attempts recorded (for `reconcile`). */
export function inDoubtSales(journal: SaleJournal): SaleSummary[] {
  return journal.listSales({ states: ["in_doubt"] }).map((sale) => summarise(sale, journal));
}

export function journalExists(file: string): boolean {
  return existsSync(file);
}

export function bridgeStatus(journal: SaleJournal, now: number, limit = 50): BridgeStatusReport {
  const stats = journal.backlogStats();
  // Unreported means FBR has not acknowledged it: on its way (backlog) or in doubt alike.
  const oldest = [stats.oldestUnsettledAt, stats.oldestInDoubtAt].filter((at): at is number => at !== null);
  const oldestUnreportedAt = oldest.length === 0 ? null : Math.min(...oldest);
  return {
    journal: journal.file,
    byState: stats.byState,
    oldestUnreportedHours:
      oldestUnreportedAt === null ? null : Number(((now - oldestUnreportedAt) / 3_600_000).toFixed(2)),
    open: journal
      .listSales({ states: ["pending", "uploading", "in_doubt", "held", "rejected"], limit })
      .map((sale) => summarise(sale, journal)),
  };
}

export function saleStatus(journal: SaleJournal, usin: string, posId?: number): SaleSummary[] {
  return journal
    .findSalesByUsin(usin)
    .filter((sale) => posId === undefined || sale.posId === posId)
    .map((sale) => summarise(sale, journal));
}

const STATE_WORDS: Record<SaleState, string> = {
  pending: "waiting to upload",
  uploading: "uploading",
  accepted: "accepted by FBR",
  rejected: "rejected by FBR",
  in_doubt: "in doubt (run reconcile)",
  held: "held: FBR refused the credentials",
};

export function formatSale(sale: SaleSummary): string {
  // STATE_WORDS already say "by FBR"; the number follows without repeating it.
  const number = sale.fbrInvoiceNumber === null ? "" : `, fiscal number ${sale.fbrInvoiceNumber}`;
  const reason = sale.lastReason === null || sale.state === "accepted" ? "" : ` (${sale.lastReason})`;
  const found =
    sale.fiscalNumberInAttempts === undefined
      ? ""
      : `, FBR answered with fiscal number ${sale.fiscalNumberInAttempts} (record it with reconcile --fbr-number)`;
  return `POSID ${sale.posId} USIN ${sale.usin}: ${STATE_WORDS[sale.state]}${number}${sale.provisional ? ", answered provisionally" : ""}, ${sale.attempts} attempt(s), received ${sale.receivedAt}${reason}${found}`;
}

export function formatStatus(report: BridgeStatusReport): string {
  const counts = (Object.entries(report.byState) as [SaleState, number][])
    .map(([state, count]) => `${state} ${count}`)
    .join(", ");
  const lines = [`journal: ${report.journal}`, `sales: ${counts}`];
  lines.push(
    report.oldestUnreportedHours === null
      ? "backlog: none, every sale is acknowledged by FBR (or rejected)"
      : `backlog: oldest unreported sale is ${report.oldestUnreportedHours} h old (Rule 150XC: report within 24 h)`,
  );
  for (const sale of report.open) lines.push(`  ${formatSale(sale)}`);
  return lines.join("\n");
}

export type ReconcileDecision = { kind: "fbrNumber"; fbrInvoiceNumber: string } | { kind: "resend" };

export type ReconcileResult = { ok: true; sale: SaleSummary } | { ok: false; reason: string };

/** Why a typed fiscal number cannot be recorded for `sale`, or undefined when it can. */
function fiscalNumberProblem(journal: SaleJournal, sale: JournaledSale, number: string): string | undefined {
  // The sdk's one shape check (FBR-SPEC §7), the same the gateway's reconcile runs.
  const shape = fbrNumberProblem("ims", number);
  if (shape !== undefined) return `${shape.problem}; ${shape.fix}`;
  const holder = journal.findSaleByFiscalNumber(number);
  if (holder !== undefined && holder.id !== sale.id) {
    return `fiscal number ${number} already belongs to USIN ${holder.usin} of POSID ${holder.posId}; one FBR number is one sale`;
  }
  return undefined;
}

/**
 * Settles one in-doubt sale by a person's decision: FBR has it (record the number they found in FBR's
 * records), or FBR never got it (queue it again). Only in-doubt sales can be reconciled.
 */
export function reconcileSale(
  journal: SaleJournal,
  usin: string,
  posId: number | undefined,
  decision: ReconcileDecision,
  now: number,
): ReconcileResult {
  const matches = journal.findSalesByUsin(usin).filter((sale) => posId === undefined || sale.posId === posId);
  if (matches.length === 0)
    return {
      ok: false,
      reason: `no sale with USIN ${usin}${posId === undefined ? "" : ` for POSID ${posId}`}`,
    };
  if (matches.length > 1) {
    return {
      ok: false,
      reason: `USIN ${usin} exists for POSIDs ${matches.map((s) => s.posId).join(", ")}; add --pos-id`,
    };
  }
  const sale = matches[0] as JournaledSale;
  if (sale.state !== "in_doubt") {
    return {
      ok: false,
      reason: `USIN ${usin} is ${STATE_WORDS[sale.state]}, not in doubt; nothing to reconcile`,
    };
  }
  if (decision.kind === "fbrNumber") {
    const problem = fiscalNumberProblem(journal, sale, decision.fbrInvoiceNumber);
    if (problem !== undefined) return { ok: false, reason: problem };
  }
  const changed =
    decision.kind === "fbrNumber"
      ? journal.resolveAsAccepted(sale.posId, sale.usin, decision.fbrInvoiceNumber, now)
      : journal.requeue(sale.posId, sale.usin, now);
  if (!changed) return { ok: false, reason: `USIN ${usin} changed state meanwhile; run reconcile again` };
  return { ok: true, sale: summarise(journal.getSale(sale.id) as JournaledSale) };
}
