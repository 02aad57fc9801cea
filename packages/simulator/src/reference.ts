// Reference APIs (spec v1.12 §5, spec/data/di-reference-api.json) with their quirks: FBR's key casing
// (hS_CODE, transactioN_DESC, ratE_DESC ...), space-padded registry strings, dd-MMM-yyyy dates on
// SaleTypeToRate/SroSchedule (an ISO date answers [] rather than an error), ISO dates on SROItem,
// SroSchedule only on v1 (v2 answers []), and statl's literal "status code" key.
import { sdkReference } from "./sdk-bridge.ts";
import { specTables } from "./spec-data.ts";

const DD_MMM_YYYY = /^\d{2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{4}$/i;
const YYYY_MM_DD = /^\d{4}-\d{2}-\d{2}$/;

type Query = Record<string, string | undefined>;

export interface ReferenceAnswer {
  status: number;
  body: unknown;
}

interface SroFixture {
  srO_ID: number;
  srO_DESC: string;
  rates: Set<string>;
  serials: { srO_ITEM_ID: number; srO_ITEM_DESC: string }[];
}

let sroFixtures: SroFixture[] | undefined;

/**
 * The spec publishes no SRO tables, only the schedule/serial pairs inside PRAL's scenario samples; the
 * simulator serves exactly those, with its own stable ids (FBR's ids for them are unknown).
 */
function sroTable(): SroFixture[] {
  if (sroFixtures) return sroFixtures;
  const bySchedule = new Map<string, SroFixture>();
  for (const scenario of specTables().scenarios) {
    const schedule = String(scenario.sampleItem.sroScheduleNo ?? "").trim();
    if (schedule === "") continue;
    let fixture = bySchedule.get(schedule);
    if (!fixture) {
      fixture = { srO_ID: 1001 + bySchedule.size, srO_DESC: schedule, rates: new Set(), serials: [] };
      bySchedule.set(schedule, fixture);
    }
    fixture.rates.add(String(scenario.sampleItem.rate ?? ""));
    const serial = String(scenario.sampleItem.sroItemSerialNo ?? "").trim();
    if (serial !== "" && !fixture.serials.some((s) => s.srO_ITEM_DESC === serial)) {
      fixture.serials.push({ srO_ITEM_ID: 0, srO_ITEM_DESC: serial });
    }
  }
  let nextItemId = 20001;
  sroFixtures = [...bySchedule.values()];
  for (const fixture of sroFixtures) {
    for (const serial of fixture.serials) serial.srO_ITEM_ID = nextItemId++;
  }
  return sroFixtures;
}

function transactionTypes() {
  return sdkReference().transactionTypes();
}

function ratesFor(transTypeId: number) {
  return sdkReference().ratesForTransactionType(transTypeId);
}

function uomRows() {
  return sdkReference().uomRows();
}

function hsUomPairs(): Map<string, string[]> {
  const pairs = new Map<string, string[]>([["5904.9000", ["Square Meter"]]]);
  for (const scenario of specTables().scenarios) {
    const hs = String(scenario.sampleItem.hsCode ?? "");
    const uom = String(scenario.sampleItem.uoM ?? "");
    const list = pairs.get(hs) ?? [];
    if (!list.includes(uom)) list.push(uom);
    pairs.set(hs, list);
  }
  return pairs;
}

function rateDescById(rateId: number): string | undefined {
  for (const type of transactionTypes()) {
    const found = ratesFor(type.transactioN_TYPE_ID).find((rate) => rate.ratE_ID === rateId);
    if (found) return found.ratE_DESC;
  }
  return undefined;
}

function wholeNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** Answers a GET on a reference path; undefined when the path is not a reference API. */
export function answerReferenceGet(path: string, query: Query): ReferenceAnswer | undefined {
  const tables = specTables();
  switch (path) {
    case "/pdi/v1/provinces":
      return { status: 200, body: sdkReference().provinceRows() };
    case "/pdi/v1/doctypecode":
      return { status: 200, body: sdkReference().docTypeRows() };
    case "/pdi/v1/itemdesccode": {
      const rows = [...(tables.referenceSamples.get("/pdi/v1/itemdesccode") ?? [])];
      for (const hs of hsUomPairs().keys()) {
        if (!rows.some((row) => row.hS_CODE === hs)) {
          rows.push({ hS_CODE: hs, description: "Item used in PRAL's sandbox scenario samples" });
        }
      }
      return { status: 200, body: rows };
    }
    case "/pdi/v1/sroitemcode":
      return {
        status: 200,
        body: [
          ...(tables.referenceSamples.get("/pdi/v1/sroitemcode") ?? []),
          ...sroTable().flatMap((fixture) => fixture.serials),
        ],
      };
    case "/pdi/v1/transtypecode":
      return { status: 200, body: transactionTypes() };
    case "/pdi/v1/uom":
      return { status: 200, body: uomRows() };
    case "/pdi/v1/SroSchedule": {
      if (!DD_MMM_YYYY.test(query.date ?? "")) return { status: 200, body: [] };
      const rateId = wholeNumber(query.rate_id);
      const rate = rateId === undefined ? undefined : rateDescById(rateId);
      const rows = sroTable()
        .filter((fixture) => rate !== undefined && fixture.rates.has(rate))
        .map(({ srO_ID, srO_DESC }) => ({ srO_ID, srO_DESC }));
      return { status: 200, body: rows };
    }
    case "/pdi/v2/SroSchedule":
      // Observed: SroSchedule exists only on v1; v2 answers 200 with an empty list.
      return { status: 200, body: [] };
    case "/pdi/v2/SaleTypeToRate": {
      if (!DD_MMM_YYYY.test(query.date ?? "")) return { status: 200, body: [] };
      const transTypeId = wholeNumber(query.transTypeId);
      return { status: 200, body: transTypeId === undefined ? [] : ratesFor(transTypeId) };
    }
    case "/pdi/v2/HS_UOM": {
      const hs = (query.hs_code ?? "").trim();
      const descriptions = hsUomPairs().get(hs) ?? [];
      const rows = descriptions.map((description) => {
        const row = uomRows().find((u) => u.description === description);
        return { uoM_ID: row?.uoM_ID ?? 77, description };
      });
      return { status: 200, body: rows };
    }
    case "/pdi/v2/SROItem": {
      if (!YYYY_MM_DD.test(query.date ?? "")) return { status: 200, body: [] };
      const sroId = wholeNumber(query.sro_id);
      return { status: 200, body: sroTable().find((fixture) => fixture.srO_ID === sroId)?.serials ?? [] };
    }
    default:
      return undefined;
  }
}

export const REFERENCE_GET_PATHS = [
  "/pdi/v1/provinces",
  "/pdi/v1/doctypecode",
  "/pdi/v1/itemdesccode",
  "/pdi/v1/sroitemcode",
  "/pdi/v1/transtypecode",
  "/pdi/v1/uom",
  "/pdi/v1/SroSchedule",
  "/pdi/v2/SroSchedule",
  "/pdi/v2/SaleTypeToRate",
  "/pdi/v2/HS_UOM",
  "/pdi/v2/SROItem",
] as const;

function field(source: unknown, key: string): string {
  if (source === null || typeof source !== "object") return "";
  const value = (source as Record<string, unknown>)[key];
  return typeof value === "string" || typeof value === "number" ? String(value).trim() : "";
}

/**
 * /dist/v1/statl: the spec shows only In-Active answers ({"status code":"01"|"02","status":"In-Active"}),
 * so "01" cannot mean Active. For a registered number the simulator answers "00"/"Active", the code
 * Get_Reg_Type uses for its positive answer [INFERRED: FBR publishes no Active sample].
 */
export function answerStatl(
  body: unknown,
  query: Query,
  isRegistered: (id: string) => boolean,
): ReferenceAnswer {
  const regno = field(body, "regno") || (query.regno ?? "").trim();
  if (regno !== "" && isRegistered(regno))
    return { status: 200, body: { "status code": "00", status: "Active" } };
  return { status: 200, body: { "status code": "02", status: "In-Active" } };
}

/** /dist/v1/Get_Reg_Type: "00"/"Registered" or "01"/"unregistered" (lower case, as the spec shows). */
export function answerRegType(
  body: unknown,
  query: Query,
  isRegistered: (id: string) => boolean,
): ReferenceAnswer {
  const number = field(body, "Registration_No") || (query.Registration_No ?? "").trim();
  if (number !== "" && isRegistered(number)) {
    return {
      status: 200,
      body: { statuscode: "00", REGISTRATION_NO: number, REGISTRATION_TYPE: "Registered" },
    };
  }
  return {
    status: 200,
    body: { statuscode: "01", REGISTRATION_NO: number, REGISTRATION_TYPE: "unregistered" },
  };
}
