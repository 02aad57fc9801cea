// Real gateway processes (`raseed serve`) for the crash and scale-out tests.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { openStore, type Store } from "../src/store/database.ts";
import { parseMasterKey } from "../src/tenants/secret-box.ts";
import { addTenant, createApiKey } from "../src/tenants/tenants.ts";
import { SELLER_A } from "./harness.ts";

// The gateway's own composition root, started from RASEED_* env like `raseed serve` (without the CLI's
// other commands, so this test depends on the gateway alone).
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** /healthz tries, 50 ms apart, before a starting gateway counts as failed (at least 4 minutes). */
const START_TRIES = 4_800;

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  output(): string;
}

/** Starts the gateway with RASEED_* env and waits until /healthz answers. */
export async function startGatewayProcess(
  env: Record<string, string>,
  port: number,
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ["--conditions=@raseed/source", "--import", "tsx", MAIN], {
    env: {
      ...process.env,
      ...env,
      RASEED_PORT: String(port),
      RASEED_LOG_LEVEL: env.RASEED_LOG_LEVEL ?? "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  // Bounded by tries, not a clock: loading the sources under tsx takes far longer on a loaded CI machine
  // (a 30 s deadline was missed at load 15), and each refused try costs more there too.
  for (let tries = 0; tries < START_TRIES; tries += 1) {
    if (child.exitCode !== null) throw new Error(`gateway process exited early: ${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return { child, url, exited, output: () => output };
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`gateway process did not answer /healthz after ${START_TRIES} tries: ${output}`);
}

export interface SellerStore {
  store: Store;
  /** Seller A's API key. */
  key: string;
  /** RASEED_* variables pointing gateway processes at this store and the simulator. */
  env: Record<string, string>;
}

/**
 * Prepares a store with seller A's sandbox tenant and an API key, and the env for gateway processes on it:
 * fast polling and no rate limit, so the processes, not the test's settings, set the pace.
 */
export async function prepareSellerStore(options: {
  db: string;
  dataDir: string;
  fbrUrl: string;
  env: Record<string, string>;
}): Promise<SellerStore> {
  const masterKeyHex = randomBytes(32).toString("hex");
  const store = await openStore({ db: options.db, dataDir: options.dataDir });
  const tenant = await addTenant(store.db, parseMasterKey(masterKeyHex), {
    ...SELLER_A,
    environment: "sandbox",
    fbrToken: SELLER_A.token,
  });
  const { key } = await createApiKey(store.db, tenant.id);
  const env = {
    RASEED_DATA_DIR: options.dataDir,
    RASEED_DB: options.db,
    RASEED_FBR_URL: options.fbrUrl,
    RASEED_MASTER_KEY: masterKeyHex,
    RASEED_POLL_INTERVAL_MS: "20",
    RASEED_RATE_LIMIT_PER_MINUTE: "1000000",
    ...options.env,
  };
  return { store, key, env };
}
