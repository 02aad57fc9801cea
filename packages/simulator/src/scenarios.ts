// Sandbox scenario rules on `_sb` paths (FBR-SPEC §5, §12): scenarioId required, assigned to the seller
// (0203), every item's sale type equal to the scenario's registry string (0204), registered-buyer
// scenarios need a buyer on the register (0205). All three come back header-level, as observed live.
import { scenarioCatalogue } from "@raseed/sdk";
import { sdkScenarioSample } from "./sdk-bridge.ts";

export interface SandboxIssue {
  code: string;
  message: string;
}

/** Scenarios whose description requires a registered buyer: SN001 "to registered buyers", SN009 "Register Buyer only". */
const REGISTERED_BUYER_SCENARIOS = new Set(["SN001", "SN009"]);

export function scenarioIds(): string[] {
  return scenarioCatalogue.map((scenario) => scenario.id);
}

/** The sale type registry string (as /pdi/v1/transtypecode spells it) a scenario's items must carry. */
export function scenarioSaleType(id: string): string | undefined {
  return scenarioCatalogue.find((scenario) => scenario.id === id)?.saleType;
}

export interface SandboxGateInput {
  invoice: Record<string, unknown>;
  assignedScenarios: readonly string[];
  isRegisteredBuyer: (id: string) => boolean;
}

export function checkSandboxScenario({
  invoice,
  assignedScenarios,
  isRegisteredBuyer,
}: SandboxGateInput): SandboxIssue | undefined {
  const scenarioId = typeof invoice.scenarioId === "string" ? invoice.scenarioId.trim() : "";
  // FBR answers a missing scenario the same way as an unassigned one: the lookup finds nothing.
  if (scenarioId === "" || !assignedScenarios.includes(scenarioId)) {
    return { code: "0203", message: "Provided scenario does not exists" };
  }
  const wanted = scenarioSaleType(scenarioId);
  const items = Array.isArray(invoice.items) ? (invoice.items as unknown[]) : [];
  if (wanted !== undefined) {
    // 0204: integrators got it for "Goods at Standard Rate (default)" vs the registry's "standard rate",
    // so the match is case-sensitive; FBR's own space padding (" Services ") is not held against them.
    const mismatch = items.some((item) => {
      const saleType =
        typeof item === "object" && item !== null ? (item as { saleType?: unknown }).saleType : "";
      return typeof saleType !== "string" || saleType.trim() !== wanted.trim();
    });
    if (mismatch)
      return { code: "0204", message: `Sale type not match with provided scenario No. ${scenarioId}` };
  }
  if (REGISTERED_BUYER_SCENARIOS.has(scenarioId)) {
    const buyer = typeof invoice.buyerNTNCNIC === "string" ? invoice.buyerNTNCNIC : "";
    if (buyer.trim() === "" || !isRegisteredBuyer(buyer)) {
      return { code: "0205", message: "Provided scenario not valid for unregistered user" };
    }
  }
  return undefined;
}

export interface SellerIdentity {
  ntn: string;
  businessName: string;
  province: string;
  address: string;
}

/**
 * PRAL's sample payload for a scenario, re-addressed to the given seller (the samples carry PRAL's own
 * test NTNs, which would get 0401 against any other token).
 */
export function scenarioPayloadForSeller(id: string, seller: SellerIdentity): Record<string, unknown> {
  const base = sdkScenarioSample(id);
  return {
    ...base,
    sellerNTNCNIC: seller.ntn,
    sellerBusinessName: seller.businessName,
    sellerProvince: seller.province,
    sellerAddress: seller.address,
  };
}
