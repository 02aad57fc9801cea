import type { FaultConfig, RunningSimulator, SimulatorConfig } from "@raseed/simulator";
import {
  DEFAULT_FAIL_KINDS,
  faultConfigSchema,
  loadSimulatorConfigFile,
  parseLatency,
  SimulatorConfigError,
  startSimulator,
} from "@raseed/simulator";
import type { Command } from "commander";

interface SimulatorFlags {
  port: string;
  host: string;
  config?: string;
  latencyMs?: string;
  failRate?: string;
  seed?: string;
  inspect: boolean;
}

class UsageError extends Error {}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65_535)
    throw new UsageError(`--port must be 0-65535, got "${text}"`);
  return Number(text);
}

function parseFailRate(text: string): number {
  const rate = Number(text);
  if (text.trim() === "" || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new UsageError(`--fail-rate must be a number from 0 to 1, got "${text}"`);
  }
  return rate;
}

function parseSeed(text: string): number {
  // Beyond 2^53 a number no longer holds every digit, so the "same seed" would not be the same.
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new UsageError(`--seed must be a whole number up to ${Number.MAX_SAFE_INTEGER}, got "${text}"`);
  return Number(text);
}

/** The fault schema's own words for a flag value it refuses (e.g. latency above 600000 ms). */
function checkFaults(faults: FaultConfig, fromFile: boolean): FaultConfig {
  const parsed = faultConfigSchema.safeParse(faults);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = String(issue?.path[0] ?? "");
  const flag =
    key === "latencyMs"
      ? "--latency-ms"
      : key === "failRate"
        ? "--fail-rate"
        : key === "seed"
          ? "--seed"
          : "";
  const where = flag !== "" ? flag : fromFile ? `config faults.${issue?.path.join(".") ?? ""}` : "faults";
  throw new UsageError(`${where}: ${issue?.message ?? "invalid"}`);
}

/** Flags override the config file's faults, key by key (flag > file > default). */
export function faultsFromFlags(flags: SimulatorFlags, fileFaults: FaultConfig | undefined): FaultConfig {
  const faults: FaultConfig = { ...(fileFaults ?? {}) };
  if (flags.latencyMs !== undefined) {
    try {
      faults.latencyMs = parseLatency(flags.latencyMs);
    } catch {
      throw new UsageError(`--latency-ms must be N or MIN-MAX (milliseconds), got "${flags.latencyMs}"`);
    }
  }
  if (flags.failRate !== undefined) faults.failRate = parseFailRate(flags.failRate);
  if (flags.seed !== undefined) faults.seed = parseSeed(flags.seed);
  return checkFaults(faults, fileFaults !== undefined);
}

async function runSimulator(flags: SimulatorFlags): Promise<RunningSimulator> {
  const port = parsePort(flags.port);
  const config: SimulatorConfig | undefined = flags.config
    ? loadSimulatorConfigFile(flags.config)
    : undefined;
  const faults = faultsFromFlags(flags, config?.faults);
  // Chaos without a seed still gets one, printed, so a failing run can be repeated exactly.
  const chaosSeedPicked = faults.failRate !== undefined && faults.failRate > 0 && faults.seed === undefined;
  if (chaosSeedPicked) faults.seed = Date.now() % 1_000_000_000;
  const sim = await startSimulator({
    port,
    host: flags.host,
    ...(config ? { config } : {}),
    faults,
    inspect: flags.inspect,
  });
  console.log(`Raseed FBR simulator listening on ${sim.url}`);
  console.log("  DI:        POST /di_data/v1/di/{postinvoicedata,validateinvoicedata}[_sb]");
  console.log("  reference: GET /pdi/v1/..., /pdi/v2/..., POST /dist/v1/{statl,Get_Reg_Type}");
  console.log(
    "  IMS:       POST /imsp/v1/api/Live/PostData (production), /FBR/v1/api/Live/PostData (sandbox)",
  );
  console.log(`  demo seller 7000007, POSID 110014 (tokens: docs/simulator.md)`);
  if (faults.latencyMs !== undefined) {
    const latency = Array.isArray(faults.latencyMs) ? faults.latencyMs.join("-") : String(faults.latencyMs);
    console.log(`  latency:   ${latency} ms on every request`);
  }
  if (faults.failRate !== undefined && faults.failRate > 0) {
    const kinds = (faults.failKinds ?? DEFAULT_FAIL_KINDS).join(", ");
    const repeat = chaosSeedPicked ? ` (repeat this run with --seed ${faults.seed})` : "";
    console.log(`  chaos:     fail-rate ${faults.failRate} (${kinds}), seed ${faults.seed}${repeat}`);
  }
  if (flags.inspect) console.log("  inspection: GET /__sim/invoices, PUT /__sim/faults, POST /__sim/reset");
  return sim;
}

/** Registers `raseed simulator`. */
export function registerSimulatorCommand(program: Command): void {
  program
    .command("simulator")
    .description("Run an offline FBR (DI post/validate, reference APIs, IMS PostData) with fault injection")
    .option("--port <port>", "port to listen on (0 picks a free one)", "8244")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--config <file>", "JSON config: more sellers, tokens, scenarios, buyers, POS terminals, faults")
    .option("--latency-ms <ms>", "added latency on every request: N or MIN-MAX")
    .option(
      "--fail-rate <rate>",
      `share of requests (0-1) that fail with a transient fault, picked from: ${DEFAULT_FAIL_KINDS.join(", ")} ` +
        "(commit-then-drop saves the invoice and drops the answer)",
    )
    .option(
      "--seed <n>",
      "seed for --fail-rate and latency ranges, for repeatable chaos (printed when picked)",
    )
    .option("--no-inspect", "do not serve the /__sim/ inspection routes")
    .addHelpText(
      "after",
      "\nExit status: 0 stopped by SIGINT/SIGTERM, 2 bad flag, bad config or cannot listen.",
    )
    // Usage errors (unknown flag, missing value) exit 2 with commander's one-line message; help exits 0.
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : 2);
    })
    .action(async (flags: SimulatorFlags) => {
      // Signals are handled before the banner is printed: a supervisor (or a test) may stop the simulator as
      // soon as it reads it, and a SIGTERM before the handlers were in would kill it instead of stopping it.
      let stopRequested = () => {};
      const stopped = new Promise<void>((resolve) => {
        stopRequested = resolve;
      });
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        stopRequested();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      let sim: RunningSimulator;
      try {
        sim = await runSimulator(flags);
      } catch (error) {
        stop();
        // One line and exit 2, never a stack trace: bad flags, a bad config, or an address it cannot
        // listen on (in use, no permission, a host that does not resolve).
        if (error instanceof UsageError || error instanceof SimulatorConfigError) {
          console.error(`raseed simulator: ${error.message}`);
        } else {
          const code =
            error !== null && typeof error === "object" && "code" in error ? String(error.code) : "";
          const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
          console.error(
            code !== ""
              ? `raseed simulator: cannot listen on ${flags.host}:${flags.port} (${code})`
              : `raseed simulator: cannot start (${message})`,
          );
        }
        process.exitCode = 2;
        return;
      }
      await stopped;
      await sim.close();
      console.log("Raseed FBR simulator stopped");
    });
}
