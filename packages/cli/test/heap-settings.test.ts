// `raseed serve`'s V8 heap settings (bin/heap-settings.js) are set at run time, after V8 configured its heap.
// These check, in a fresh node process each, that this node's V8 still honours them then: the young
// generation stays at its starting size, and the old generation is collected before its garbage piles up.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const settings = fileURLToPath(new URL("../bin/heap-settings.js", import.meta.url));

/**
 * Runs a workload in a new node process after `setup` and returns the young generation's capacity and the old
 * generation's largest size (MB). The workload keeps ~20 MB live and makes garbage that lives across a few
 * young-generation collections (so it is promoted), as the rows and strings of a page in flight do.
 */
function churn(setup: string): { youngMb: number; oldPeakMb: number } {
  const script = `
    import v8 from "node:v8";
    import { applyServeHeapSettings } from ${JSON.stringify(settings)};
    ${setup};
    const space = (name) => v8.getHeapSpaceStatistics().find((s) => s.space_name === name);
    const live = Array.from({ length: 200_000 }, (_, i) => ({ i, text: "live " + i }));
    const recent = [];
    let oldPeak = 0;
    for (let round = 0; round < 3_000; round++) {
      recent.push(Array.from({ length: 2_000 }, (_, i) => ({ i, text: "page " + round + " " + i })));
      if (recent.length > 30) recent.shift();
      oldPeak = Math.max(oldPeak, space("old_space").space_used_size);
    }
    const mb = (n) => n / 1024 / 1024;
    console.log(JSON.stringify({ youngMb: mb(space("new_space").space_size), oldPeakMb: mb(oldPeak), live: live.length }));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  return JSON.parse(out) as { youngMb: number; oldPeakMb: number };
}

describe("raseed serve's heap settings", () => {
  it("keep the young generation at its starting size, where V8 alone grows it to 2 x 16 MB", () => {
    expect(churn("void applyServeHeapSettings").youngMb).toBeGreaterThan(8);
    expect(churn("applyServeHeapSettings()").youngMb).toBeLessThanOrEqual(4);
  });

  it("collect the old generation early: a small young generation alone lets promoted garbage pile up", () => {
    // Measured: ~100 MB with the young generation alone kept small, ~36 MB with both settings.
    expect(churn(`v8.setFlagsFromString("--semi-space-growth-factor=1")`).oldPeakMb).toBeGreaterThan(70);
    expect(churn("applyServeHeapSettings()").oldPeakMb).toBeLessThan(55);
  });
});
