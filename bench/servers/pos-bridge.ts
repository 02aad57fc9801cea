// The POS bridge as its own process, as `raseed pos-bridge` runs it (journal fsynced, default log level, the
// sdk's IMS client), uploading to the upstream at --fbr-url (the simulator's IMS endpoint). Its journal lives
// in a new temporary folder, removed when the process stops.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBridgeConfig, startPosBridge } from "@raseed/pos-bridge";
import { POS_ID, POS_TOKEN } from "../harness/invoices.ts";
import { ready, serverArgs } from "../harness/proc.ts";

const args = serverArgs();
const dataDir = mkdtempSync(join(tmpdir(), "raseed-bridge-bench-"));
const config = loadBridgeConfig(
  {
    posId: String(POS_ID),
    token: POS_TOKEN,
    fbrUrl: args["fbr-url"] ?? "",
    dataDir,
    port: "0",
    env: "sandbox",
  },
  {},
);
const bridge = await startPosBridge(config);
ready({ url: bridge.url }, async () => {
  await bridge.close();
  rmSync(dataDir, { recursive: true, force: true });
});
