// The gateway under test, started the way `raseed serve` starts it (startGateway: API, worker, sealer,
// webhooks), as its own process, on a data folder the driver prepared (harness/store.ts): --data-dir, --db,
// --master-key. Its worker posts to --fbr-url (the simulator's process) with --concurrency in flight and
// --prefetch recorded ahead (workerPrefetch). It runs
// with `raseed serve`'s V8 heap settings (packages/cli/bin/heap-settings.js), applied before the gateway's code
// is loaded as the bin does, so the throughput figures are those of the gateway a user runs.
import { rmSync } from "node:fs";
import { applyServeHeapSettings } from "../../packages/cli/bin/heap-settings.js";

applyServeHeapSettings();
const { loadConfig, startGateway } = await import("@raseed/gateway");
const { ready, serverArgs } = await import("../harness/proc.ts");

const args = serverArgs();
const dataDir = args["data-dir"] as string;
const concurrency = Number(args.concurrency ?? 8);
const config = loadConfig({
  flags: {
    port: 0,
    dataDir,
    db: args.db,
    fbrUrl: args["fbr-url"] ?? "http://127.0.0.1:9",
    masterKey: args["master-key"],
    logLevel: "silent",
    rateLimitPerMinute: 1_000_000,
    workerConcurrency: concurrency,
    tenantConcurrency: concurrency,
    workerPrefetch: Number(args.prefetch ?? 0),
  },
  env: {},
});
const gateway = await startGateway(config);
ready({ url: gateway.url }, async () => {
  await gateway.close();
  if (args.keep !== "true") rmSync(dataDir, { recursive: true, force: true });
});
