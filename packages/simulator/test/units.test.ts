import { describe, expect, it } from "vitest";
import { FaultEngine } from "../src/faults.ts";
import {
  diItemNumber,
  FbrNumberIssuer,
  parseFaultHeader,
  parseLatency,
  parseSimulatorConfig,
  payloadHash,
  seededRandom,
} from "../src/index.ts";

describe("FBR number shapes", () => {
  it("formats dated in Pakistan time like the spec sample (1747119701593 → 2025-05-13 12:01:41)", () => {
    expect(new FbrNumberIssuer(() => 1747119701593).nextDiInvoiceNumber("7000007").dated).toBe(
      "2025-05-13 12:01:41",
    );
    const newYear = new FbrNumberIssuer(() => Date.UTC(2025, 11, 31, 20, 30, 0));
    expect(newYear.nextDiInvoiceNumber("7000007").dated).toBe("2026-01-01 01:30:00");
  });

  it("keeps <NTN>DI<epoch ms> unique within one millisecond by bumping the millisecond", () => {
    const issuer = new FbrNumberIssuer(() => 1747119701593);
    const numbers = Array.from({ length: 3 }, () => issuer.nextDiInvoiceNumber("7000007").invoiceNumber);
    expect(numbers).toEqual(["7000007DI1747119701593", "7000007DI1747119701594", "7000007DI1747119701595"]);
    expect(issuer.nextDiInvoiceNumber("7000007").dated).toBe("2025-05-13 12:01:41");
  });

  it("numbers items <invoiceNumber>-<n>", () => {
    expect(diItemNumber("7000007DI1747119701593", 2)).toBe("7000007DI1747119701593-2");
  });

  it("issues IMS fiscal numbers as POSID + PKT date + tenths of a second since PKT midnight, bumped per POS", () => {
    // 20:00 UTC on 11 Nov = 01:00:00 PKT on 12 Nov = 36000 tenths of a second.
    const issuer = new FbrNumberIssuer(() => Date.UTC(2018, 10, 11, 20, 0, 0));
    expect(issuer.nextImsFiscalNumber("110001")).toBe("11000120181112036000");
    expect(issuer.nextImsFiscalNumber("110001")).toBe("11000120181112036001");
    expect(issuer.nextImsFiscalNumber("110014")).toBe("11001420181112036000");
  });

  it("never repeats an IMS fiscal number after a restart (a new issuer, later clock)", () => {
    let now = Date.UTC(2025, 4, 13, 7, 0, 0);
    const before = new FbrNumberIssuer(() => now);
    const first = [before.nextImsFiscalNumber("110014"), before.nextImsFiscalNumber("110014")];
    now += 1000;
    const restarted = new FbrNumberIssuer(() => now);
    const second = [restarted.nextImsFiscalNumber("110014"), restarted.nextImsFiscalNumber("110014")];
    expect(new Set([...first, ...second]).size).toBe(4);
    expect(Number(second[0]?.slice(-6))).toBeGreaterThan(Number(first[1]?.slice(-6)));
  });
});

describe("fault header and engine", () => {
  it("parses kinds with parameters", () => {
    expect(parseFaultHeader("latency;ms=100-250")).toEqual({ kind: "latency", latencyMs: [100, 250] });
    expect(parseFaultHeader("http503; retry-after=9")).toEqual({ kind: "http503", retryAfterSeconds: 9 });
    expect(parseFaultHeader("HTML-GATEWAY;status=200")).toEqual({ kind: "html-gateway", status: 200 });
  });

  it("refuses unknown kinds, parameters and bad numbers with a reason", () => {
    expect(() => parseFaultHeader("boom")).toThrow(/unknown X-Sim-Fault kind "boom"/);
    expect(() => parseFaultHeader("hang;forever=1")).toThrow(/unknown X-Sim-Fault parameter "forever"/);
    expect(() => parseLatency("9-3")).toThrow(/MIN <= MAX/);
    expect(() => parseLatency("fast")).toThrow(/whole number/);
  });

  it("gives the same chaos for the same seed and different chaos for another", () => {
    const sequence = (seed: number) => {
      const engine = new FaultEngine({ failRate: 0.3, seed });
      return Array.from({ length: 40 }, () => engine.decide("/x", undefined).kind ?? "-").join(",");
    };
    expect(sequence(42)).toBe(sequence(42));
    expect(sequence(42)).not.toBe(sequence(43));
    const kinds = sequence(7).split(",");
    const failures = kinds.filter((k) => k !== "-").length;
    expect(failures).toBeGreaterThan(3);
    expect(failures).toBeLessThan(25);
  });

  it("seededRandom is uniform enough to drive a failure rate", () => {
    const random = seededRandom(1);
    const draws = Array.from({ length: 10_000 }, random);
    const below = draws.filter((x) => x < 0.05).length;
    expect(below).toBeGreaterThan(350);
    expect(below).toBeLessThan(650);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it("applies header > path > global precedence, spends `times`, and adds latency ranges within bounds", () => {
    const engine = new FaultEngine({
      latencyMs: [5, 10],
      global: { kind: "http500" },
      paths: { "/pdi/v1/provinces": { kind: "http429", times: 1 } },
      seed: 3,
    });
    expect(engine.decide("/pdi/v1/provinces", { kind: "hang" }).kind).toBe("hang");
    expect(engine.decide("/pdi/v1/provinces", undefined).kind).toBe("http429");
    expect(engine.decide("/pdi/v1/provinces", undefined).kind).toBe("http500");
    const delays = Array.from({ length: 50 }, () => engine.decide("/q", undefined).delayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...delays)).toBeLessThanOrEqual(10);
  });
});

describe("config file schema", () => {
  it("names an unknown key and where it is", () => {
    expect(() => parseSimulatorConfig({ sellers: [], colour: "green" })).toThrow(/unknown key "colour"/);
    expect(() =>
      parseSimulatorConfig({ posTerminals: [{ posId: "1", token: "abcdefgh", port: 1 }] }),
    ).toThrow(/unknown key "port" in posTerminals\[0\]/);
    expect(() => parseSimulatorConfig({ faults: { failrate: 0.1 } })).toThrow(
      /unknown key "failrate" in faults/,
    );
  });

  it("explains a bad value by its path", () => {
    expect(() =>
      parseSimulatorConfig({ sellers: [{ ntn: "12", businessName: "x", province: "Sindh" }] }),
    ).toThrow(/sellers\[0\]\.ntn: a seller is a 7-digit NTN or a 13-digit CNIC/);
  });

  it("refuses a scenario id FBR does not have (SN001-SN028 only)", () => {
    const seller = { ntn: "1234567", businessName: "B", province: "Punjab" };
    expect(() => parseSimulatorConfig({ sellers: [{ ...seller, scenarios: ["SN001", "SN099"] }] })).toThrow(
      /sellers\[0\]\.scenarios\[1\]: unknown scenario "SN099": FBR's sandbox scenarios are SN001-SN028/,
    );
    expect(
      parseSimulatorConfig({ sellers: [{ ...seller, scenarios: ["SN028"] }] }).sellers[0]?.scenarios,
    ).toEqual(["SN028"]);
  });

  it("names both key paths when two owners share a token", () => {
    const seller = { ntn: "1234567", businessName: "B", province: "Punjab" };
    expect(() =>
      parseSimulatorConfig({
        includeDemoWorld: false,
        sellers: [{ ...seller, sandboxToken: "shared-token-1" }],
        posTerminals: [{ posId: "1", token: "shared-token-1" }],
      }),
    ).toThrow(/posTerminals\[0\]\.token: this token is already given to sellers\[0\]\.sandboxToken/);
  });

  it("defaults to the demo world plus every scenario for a new seller", () => {
    const config = parseSimulatorConfig({
      sellers: [{ ntn: "1234567", businessName: "B", province: "Punjab" }],
    });
    expect(config.includeDemoWorld).toBe(true);
    expect(config.sellers[0]?.scenarios).toBe("all");
  });
});

describe("payload hash", () => {
  it("ignores key order and sees any value change", () => {
    expect(payloadHash({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(payloadHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(payloadHash({ a: 1 })).not.toBe(payloadHash({ a: 2 }));
    expect(payloadHash({ a: "1" })).not.toBe(payloadHash({ a: 1 }));
  });
});
