// The gateway under test, started the way `raseed serve` starts it (startGateway: API, worker, sealer,
// webhooks), as its own process, on a data folder the driver prepared (harness/store.ts): --data-dir, --db,
// --master-key. Its worker posts to --fbr-url (the simulator's process) with --concurrency in flight.
import { rmSync } from "node:fs";
import { loadConfig, startGateway } from "@raseed/gateway";
import { ready, serverArgs } from "../harness/proc.ts";

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
  },
  env: {},
});
const gateway = await startGateway(config);
ready({ url: gateway.url }, async () => {
  await gateway.close();
  if (args.keep !== "true") rmSync(dataDir, { recursive: true, force: true });
});
