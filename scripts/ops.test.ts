// ops/: the Prometheus rules pass `promtool check rules` and their own `promtool test rules` (each alert
// fires at its threshold), and every metric the rules and the Grafana dashboard use is one the gateway or
// the pos-bridge really exports. promtool is Debian's `prometheus` package (.ci/run installs it); a
// missing promtool fails here with that message, never a skip.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GatewayEvents } from "../packages/gateway/src/events.ts";
import { openStore } from "../packages/gateway/src/store/database.ts";
import { createMetrics } from "../packages/gateway/src/telemetry/metrics.ts";
import { BridgeMetrics } from "../packages/pos-bridge/src/telemetry.ts";

const OPS = join(import.meta.dirname, "..", "ops");
const RULES = join(OPS, "prometheus", "raseed-alerts.yml");
const DASHBOARD = join(OPS, "grafana", "raseed-dashboard.json");

function promtool(args: string[], cwd: string): string {
  try {
    return execFileSync("promtool", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failure.code === "ENOENT")
      throw new Error("promtool is not installed: apt-get install prometheus (.ci/run does this)");
    throw new Error(`promtool ${args.join(" ")} failed:\n${failure.stdout ?? ""}${failure.stderr ?? ""}`);
  }
}

/** Sample names in the text exposition of a registry: a histogram exports _bucket, _sum and _count. */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name = "", type] = match;
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

/** Every raseed_* metric a PromQL expression reads. */
function metricsIn(expression: string): string[] {
  return [...expression.matchAll(/\b(raseed_[a-z0-9_]+)/g)].map((m) => m[1] ?? "");
}

async function everyExportedMetric(): Promise<Set<string>> {
  const dir = mkdtempSync(join(tmpdir(), "raseed-ops-"));
  const store = await openStore({ db: join(dir, "raseed.db"), dataDir: dir });
  try {
    const gateway = createMetrics(store, new GatewayEvents());
    const bridge = new BridgeMetrics();
    return new Set([
      ...exportedNames(await gateway.registry.metrics()),
      ...exportedNames(await bridge.registry.metrics()),
    ]);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("ops/: alert rules and dashboard", () => {
  it("passes promtool check rules and the rules' own unit tests", { timeout: 60_000 }, () => {
    expect(promtool(["check", "rules", RULES], OPS)).toContain("SUCCESS: 8 rules found");
    expect(promtool(["test", "rules", "raseed-alerts.test.yml"], join(OPS, "prometheus"))).toContain(
      "SUCCESS",
    );
  });

  it("uses only metric names the gateway and the pos-bridge export", async () => {
    const exported = await everyExportedMetric();
    // The names this check relies on really come from the registries (a wrong parser finds nothing).
    expect(exported).toContain("raseed_invoices");
    expect(exported).toContain("raseed_fbr_call_duration_seconds_count");
    expect(exported).toContain("raseed_pos_bridge_backlog_oldest_age_seconds");

    const rules = readFileSync(RULES, "utf8");
    const fromRules = metricsIn(rules.replace(/^\s*#.*$/gm, "").replace(/(summary|description):.*$/gm, ""));
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const fromDashboard = dashboard.panels.flatMap((panel) =>
      panel.targets.flatMap((t) => metricsIn(t.expr)),
    );
    expect(fromRules.length).toBeGreaterThan(8);
    expect(fromDashboard.length).toBeGreaterThan(12);
    const unknown = [...new Set([...fromRules, ...fromDashboard])].filter((name) => !exported.has(name));
    expect(unknown).toEqual([]);
  });

  it("gives every dashboard panel a Prometheus query and a unique id", () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
      panels: { id: number; targets: { expr: string }[] }[];
    };
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) expect(panel.targets.length).toBeGreaterThan(0);
  });
});
