// Real gateway processes (`raseed serve`) for the crash and scale-out tests.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

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
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
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
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway process exited early: ${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return { child, url, exited, output: () => output };
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`gateway process did not start: ${output}`);
}
