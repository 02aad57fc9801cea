import { describe, expect, it } from "vitest";
import { pakistanDate, pakistanDateTime, pakistanDayStart, pakistanMillisOfDay } from "./index.ts";

describe("Pakistan time (UTC+05:00, no daylight saving)", () => {
  it.each([
    // PRAL's sample: 1747119701593 ms is 07:01:41 UTC, the sample's `dated` 12:01:41 PKT.
    [1747119701593, "2025-05-13 12:01:41"],
    // The midnight trap: 20:30 UTC on 31 December is already the new year in Karachi.
    [Date.UTC(2025, 11, 31, 20, 30, 0), "2026-01-01 01:30:00"],
    // June and December read the same offset (no DST since 2009).
    [Date.UTC(2026, 5, 15, 12, 0, 0), "2026-06-15 17:00:00"],
  ])("%i is %s, from epoch ms or a Date", (epochMs, expected) => {
    expect(pakistanDateTime(epochMs)).toBe(expected);
    expect(pakistanDateTime(new Date(epochMs))).toBe(expected);
    expect(pakistanDate(epochMs)).toBe(expected.slice(0, 10));
  });

  it("counts milliseconds from midnight on the Pakistan wall clock, before 1970 too", () => {
    expect(pakistanMillisOfDay(Date.UTC(2018, 10, 11, 19, 0, 0))).toBe(0);
    expect(pakistanMillisOfDay(Date.UTC(2018, 10, 11, 20, 0, 0, 5))).toBe(3_600_005);
    expect(pakistanMillisOfDay(Date.UTC(1960, 0, 1, 18, 59, 59, 999))).toBe(86_399_999);
  });

  it("refuses an invalid Date instead of printing NaN", () => {
    expect(() => pakistanDateTime(new Date("nope"))).toThrow(RangeError);
  });

  it("finds the instant a Pakistan day begins (19:00 UTC the day before), or nothing for a date that is not real", () => {
    expect(pakistanDayStart("2026-12-06")?.toISOString()).toBe("2026-12-05T19:00:00.000Z");
    expect(pakistanDayStart("2026-12-06", 1)?.toISOString()).toBe("2026-12-06T19:00:00.000Z");
    expect(pakistanDayStart("2026-01-01")?.toISOString()).toBe("2025-12-31T19:00:00.000Z");
    expect(pakistanDayStart("2026-02-30")).toBeUndefined();
    expect(pakistanDayStart("06-12-2026")).toBeUndefined();
  });
});
