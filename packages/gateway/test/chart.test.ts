// The overview chart's date labels: a Pakistan midnight close to the right edge is labelled before its tick,
// so the last day's date is not cut off by the SVG's edge (seen in the overview screenshot).
import { describe, expect, it } from "vitest";
import { hourlyOutcomeChart } from "../src/dashboard/chart.ts";

function dateLabels(svg: string): { x: number; anchor: string | undefined; day: string }[] {
  return [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+"(?: text-anchor="(\w+)")?>([^<]+)<\/text>/g)].map(
    (m) => ({
      x: Number(m[1]),
      anchor: m[2],
      day: m[3] as string,
    }),
  );
}

describe("hourlyOutcomeChart date labels", () => {
  it("sets the last day's date before its tick when the tick is near the right edge", () => {
    // 01:30 PKT on 7 December: that day's midnight is the third-last hour of the 168.
    const labels = dateLabels(hourlyOutcomeChart([], new Date("2026-12-06T20:30:00.000Z")));
    expect(labels.map((l) => l.day)).toEqual(["12-01", "12-02", "12-03", "12-04", "12-05", "12-06", "12-07"]);
    const last = labels.at(-1);
    expect(last?.anchor).toBe("end");
    expect(last?.x).toBeLessThanOrEqual(840);
    for (const label of labels.slice(0, -1)) expect(label.anchor).toBeUndefined();
  });

  it("keeps a date after its tick when there is room", () => {
    // 18:30 PKT on 7 December: that day's midnight is 19 hours from the right edge.
    const labels = dateLabels(hourlyOutcomeChart([], new Date("2026-12-07T13:30:00.000Z")));
    expect(labels.at(-1)).toMatchObject({ day: "12-07", anchor: undefined });
  });
});
