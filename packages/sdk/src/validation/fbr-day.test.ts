import { describe, expect, it } from "vitest";
import { fbrJudgementDay, fbrPostNotBefore } from "./fbr-day.ts";

describe("fbrPostNotBefore (FBR judges invoiceDate by the UTC day)", () => {
  it.each([
    ["00:00 PKT", "2025-05-24T19:00:00.000Z", "2025-05-25T00:00:00.000Z"],
    ["02:00 PKT", "2025-05-24T21:00:00.000Z", "2025-05-25T00:00:00.000Z"],
    ["04:59:59.999 PKT", "2025-05-24T23:59:59.999Z", "2025-05-25T00:00:00.000Z"],
    ["05:00 PKT", "2025-05-25T00:00:00.000Z", undefined],
    ["noon PKT", "2025-05-25T07:00:00.000Z", undefined],
  ])("an invoice dated 25 May at %s", (_label, now, expected) => {
    expect(fbrPostNotBefore("2025-05-25", new Date(now))?.toISOString()).toBe(expected);
  });

  it("never holds a past date, and leaves a malformed one to validation", () => {
    expect(fbrPostNotBefore("2025-05-24", new Date("2025-05-24T21:00:00Z"))).toBeUndefined();
    expect(fbrPostNotBefore("2025-02-30", new Date("2025-01-01T00:00:00Z"))).toBeUndefined();
    expect(fbrPostNotBefore("25-05-2025", new Date("2025-01-01T00:00:00Z"))).toBeUndefined();
  });

  it("reads the judgement day in UTC", () => {
    expect(fbrJudgementDay(new Date("2025-05-24T23:59:59Z"))).toBe("2025-05-24");
  });
});
