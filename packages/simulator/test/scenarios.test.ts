import { readFileSync } from "node:fs";
import { certificationInvoice } from "@raseed/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSimulator } from "../src/index.ts";
import { scenarioPayloadForSeller, startSimulator } from "../src/index.ts";
import { DEMO_SELLER, postJson, SANDBOX_AUTH } from "./helpers.ts";

interface ScenarioException {
  code: string;
  level: "header" | "item";
  itemPatch: Record<string, unknown> | null;
  headerPatch: Record<string, unknown> | null;
  evidence: string;
}

const exceptions = JSON.parse(
  readFileSync(new URL("./scenario-exceptions.json", import.meta.url), "utf8"),
) as Record<string, ScenarioException | string>;
const scenarioIds = Array.from({ length: 28 }, (_, index) => `SN${String(index + 1).padStart(3, "0")}`);
const acceptedVerbatim = scenarioIds.filter((id) => !(id in exceptions));
const documentedExceptions = scenarioIds
  .filter((id) => id in exceptions)
  .map((id) => [id, exceptions[id] as ScenarioException] as const);

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(async () => {
  await sim.close();
});

const postSandbox = (payload: unknown) =>
  postJson(`${sim.url}/di_data/v1/di/postinvoicedata_sb`, payload, SANDBOX_AUTH);

describe("PRAL's 28 scenario samples on _sb for the demo seller", () => {
  it("documents at most a handful of exceptions", () => {
    expect(acceptedVerbatim.length + documentedExceptions.length).toBe(28);
    expect(documentedExceptions.length).toBeLessThanOrEqual(5);
  });

  it.each(acceptedVerbatim)("%s is accepted verbatim with an FBR number", async (id) => {
    const { status, json } = await postSandbox(scenarioPayloadForSeller(id, DEMO_SELLER));
    expect(status).toBe(200);
    expect(json).toMatchObject({
      invoiceNumber: expect.stringMatching(/^7000007DI\d{13}$/),
      validationResponse: { statusCode: "00", status: "Valid" },
    });
  });

  it.each(documentedExceptions)(
    "%s verbatim gets its documented code, and is accepted once fixed",
    async (id, exception) => {
      const verbatim = scenarioPayloadForSeller(id, DEMO_SELLER);
      const refused = await postSandbox(verbatim);
      expect(refused.status).toBe(200);
      if (exception.level === "header") {
        expect(refused.json).toMatchObject({
          validationResponse: { statusCode: "01", errorCode: exception.code },
        });
      } else {
        expect(refused.json).toMatchObject({
          validationResponse: {
            statusCode: "00",
            status: "invalid",
            invoiceStatuses: [{ statusCode: "01", errorCode: exception.code }],
          },
        });
      }
      const items = verbatim.items as Record<string, unknown>[];
      const fixed = {
        ...verbatim,
        ...(exception.headerPatch ?? {}),
        items: items.map((item) => ({ ...item, ...(exception.itemPatch ?? {}) })),
      };
      const accepted = await postSandbox(fixed);
      expect(accepted.json).toMatchObject({ validationResponse: { statusCode: "00", status: "Valid" } });
    },
  );
});

describe("Raseed's corrected certification invoices (sdk certificationInvoice) on _sb", () => {
  it.each(scenarioIds)("%s is accepted with an FBR number", async (id) => {
    const seller = {
      ntnCnic: DEMO_SELLER.ntn,
      businessName: DEMO_SELLER.businessName,
      province: DEMO_SELLER.province,
      address: DEMO_SELLER.address,
    };
    const { status, json } = await postSandbox(certificationInvoice(id, { seller }));
    expect(status).toBe(200);
    expect(json).toMatchObject({
      invoiceNumber: expect.stringMatching(/^7000007DI\d{13}$/),
      validationResponse: { statusCode: "00", status: "Valid" },
    });
  });
});
