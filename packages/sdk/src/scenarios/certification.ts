// Sandbox certification invoices: one per scenario SN001-SN028, built with the seller's own details, a valid
// buyer and today's date. PRAL's samples cannot be sent as they are (they carry PRAL's test seller, old dates
// and, for several scenarios, values FBR refuses); packages/sdk/data/di-scenario-certification.json (a
// byte-identical copy of spec/data) holds each scenario as a draft line with the reason for every correction.
import certificationFile from "../../data/di-scenario-certification.json" with { type: "json" };
import { buildDiInvoice, type DiBuyerDraft, type DiLineDraft, type DiPartyDraft } from "../model/di.ts";
import { fbrJudgementDay } from "../validation/fbr-day.ts";
import type { DiInvoice } from "../wire/di.ts";
import { ScenarioLookupError } from "./errors.ts";

interface CertificationRecord {
  buyer: "registered" | "unregistered";
  line: DiLineDraft;
  corrections: string[];
}

const RECORDS = certificationFile.scenarios as unknown as Readonly<Record<string, CertificationRecord>>;
const IDS = Object.keys(RECORDS);

/**
 * Sandbox identities (FBR-SPEC §5, CONFIRMED): 2046004 is on the sandbox's sales-tax register; 1000000000000
 * is one of the dummy unregistered CNICs PRAL's own samples use.
 */
export const SANDBOX_REGISTERED_BUYER: Readonly<DiPartyDraft> = Object.freeze({
  ntnCnic: "2046004",
  businessName: "FERTILIZER MANUFAC IRS NEW",
  province: "Sindh",
  address: "Karachi",
});
export const SANDBOX_UNREGISTERED_BUYER: Readonly<DiPartyDraft> = Object.freeze({
  ntnCnic: "1000000000000",
  businessName: "Walk-in customer",
  province: "Sindh",
  address: "Karachi",
});

export interface CertificationOptions {
  /** The seller as registered with FBR (its token's owner): 0401 otherwise. */
  seller: DiPartyDraft;
  /** Invoice date; default the day FBR judges "today" by: the UTC day, which is Pakistan's from 05:00 PKT
   * (FBR refuses future dates with 0043, and is reported to judge them by UTC; spec/README "Field fidelity"). */
  date?: string;
  /** Defaults to today's date for this clock. */
  now?: Date;
  /** A buyer on the sales-tax register, for the scenarios that need one (SN001, SN009 ...). */
  registeredBuyer?: DiPartyDraft;
  unregisteredBuyer?: DiPartyDraft;
  /** The seller's own reference, e.g. "CERT-SN001-20260512". Default "" (optional on sale invoices). */
  invoiceRefNo?: string;
}

function recordOrThrow(id: string): [string, CertificationRecord] {
  const key = id.trim().toUpperCase();
  const record = RECORDS[key];
  if (record === undefined) {
    throw new ScenarioLookupError(
      "unknown_scenario",
      `Unknown scenario id "${id}": expected SN001 to SN028`,
      IDS,
    );
  }
  return [key, record];
}

/** Why Raseed's certification invoice for this scenario differs from PRAL's sample, one sentence each. */
export function certificationCorrections(id: string): readonly string[] {
  return recordOrThrow(id)[1].corrections;
}

/** Whether the scenario's invoice goes to a buyer on the sales-tax register. */
export function certificationNeedsRegisteredBuyer(id: string): boolean {
  return recordOrThrow(id)[1].buyer === "registered";
}

/**
 * The invoice to post in the sandbox for a scenario: PRAL's sample line, corrected where FBR refuses it, built
 * by buildDiInvoice (so every amount is computed as FBR recomputes it) with the seller's own details, a valid
 * buyer, today's Pakistan date and `scenarioId`. Our validator and the simulator accept all 28 (a test posts them).
 * @throws ScenarioLookupError for an unknown scenario id.
 */
export function certificationInvoice(id: string, options: CertificationOptions): DiInvoice {
  const [scenarioId, record] = recordOrThrow(id);
  const registered = record.buyer === "registered";
  const party = registered
    ? (options.registeredBuyer ?? SANDBOX_REGISTERED_BUYER)
    : (options.unregisteredBuyer ?? SANDBOX_UNREGISTERED_BUYER);
  const buyer: DiBuyerDraft = { ...party, registrationType: registered ? "Registered" : "Unregistered" };
  return buildDiInvoice(
    {
      seller: options.seller,
      buyer,
      // A sandbox test invoice: dated so FBR takes it at any hour, never held until 05:00 PKT.
      date: options.date ?? fbrJudgementDay(options.now ?? new Date()),
      invoiceRefNo: options.invoiceRefNo ?? "",
      scenarioId,
      lines: [record.line],
    },
    { sandbox: true },
  );
}
