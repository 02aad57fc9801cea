import {
  businessActivities,
  ScenarioLookupError,
  scenarioById,
  scenarioSectors,
  scenariosForActivity,
} from "@raseed/sdk";
import type { Command } from "commander";
import { errorLine, GatewayCallError, GatewayHttp, readApiKey } from "../gateway-http.ts";

/** Exit codes: 0 listed / every scenario passed; 1 a scenario failed or is pending; 2 usage or unreachable. */
export const SCENARIOS_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface ScenariosIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

/** `raseed scenarios list`: the scenario ids PRAL's matrix (spec v1.12 §10) assigns, one per line with its description. */
export function runScenariosList(options: { activity: string; sector: string }, io: ScenariosIo): number {
  try {
    const ids = scenariosForActivity(options.activity, options.sector);
    for (const id of ids) io.stdout(`${id}  ${scenarioById(id)?.description ?? ""}\n`);
    return SCENARIOS_EXIT.ok;
  } catch (error) {
    if (error instanceof ScenarioLookupError) {
      io.stderr(`raseed scenarios: ${error.message}\n`);
      return SCENARIOS_EXIT.usage;
    }
    throw error;
  }
}

interface RunResult {
  scenarioId: string;
  status: "passed" | "failed" | "pending";
  invoiceId: string | null;
  fbrInvoiceNumber: string | null;
  state: string | null;
  codes: { code: string; message: string; fix: string }[];
}

export interface ScenariosRunOptions {
  gateway: string;
  keyFile?: string | undefined;
  activity: string;
  sector: string;
  only?: string | undefined;
  waitSeconds: number;
}

/** `raseed scenarios run`: POST /v1/certification/runs and one line per scenario. */
export async function runScenariosRun(options: ScenariosRunOptions, io: ScenariosIo): Promise<number> {
  try {
    // Checked here too, so a typo is answered with the valid list before anything is sent.
    const assigned = scenariosForActivity(options.activity, options.sector);
    const only = options.only
      ?.split(",")
      .map((id) => id.trim().toUpperCase())
      .filter((id) => id !== "");
    const unknown = (only ?? []).filter((id) => !assigned.includes(id));
    if (unknown.length > 0) {
      io.stderr(
        `raseed scenarios: --only ${unknown.join(",")}: not assigned to ${options.activity} x ${options.sector}; assigned: ${assigned.join(", ")}\n`,
      );
      return SCENARIOS_EXIT.usage;
    }
    const http = new GatewayHttp({
      baseUrl: options.gateway,
      apiKey: readApiKey(options.keyFile, io.env),
      ...(io.fetch !== undefined ? { fetch: io.fetch } : {}),
    });
    const response = await http.call("POST", "/v1/certification/runs", {
      body: {
        activity: options.activity,
        sector: options.sector,
        ...(only !== undefined && only.length > 0 ? { only } : {}),
        waitSeconds: options.waitSeconds,
      },
    });
    if (response.status !== 201) {
      io.stderr(`raseed scenarios: the gateway refused the run: ${errorLine(response)}\n`);
      return response.status >= 500 ? SCENARIOS_EXIT.failed : SCENARIOS_EXIT.usage;
    }
    const run = response.body as { id: string; passed: boolean; results: RunResult[] };
    for (const result of run.results) {
      if (result.status === "passed") {
        io.stdout(`${result.scenarioId}  passed   FBR ${result.fbrInvoiceNumber ?? "?"}\n`);
      } else if (result.status === "pending") {
        io.stdout(
          `${result.scenarioId}  pending  no answer from FBR yet (invoice ${result.invoiceId ?? "?"}, ${result.state ?? "queued"}); run it again later with --only ${result.scenarioId}\n`,
        );
      } else {
        const codes = result.codes.map((code) => code.code || "?").join(",");
        io.stdout(
          `${result.scenarioId}  failed   ${codes}: ${result.codes.map((code) => code.message).join("; ")}\n`,
        );
        for (const code of result.codes) io.stdout(`        fix (${code.code || "?"}): ${code.fix}\n`);
      }
    }
    const notPassed = run.results
      .filter((result) => result.status !== "passed")
      .map((result) => result.scenarioId);
    io.stdout(
      notPassed.length === 0
        ? `all ${run.results.length} scenarios passed (run ${run.id})\n`
        : `${notPassed.length} of ${run.results.length} not passed (run ${run.id}); after fixing, re-run only those: --only ${notPassed.join(",")}\n`,
    );
    return run.passed ? SCENARIOS_EXIT.ok : SCENARIOS_EXIT.failed;
  } catch (error) {
    if (error instanceof ScenarioLookupError || error instanceof GatewayCallError) {
      io.stderr(`raseed scenarios: ${error.message}\n`);
      return SCENARIOS_EXIT.usage;
    }
    throw error;
  }
}

/** Registers `raseed scenarios list` and `raseed scenarios run`. */
export function registerScenariosCommand(program: Command): void {
  const scenarios = program
    .command("scenarios")
    .description("FBR sandbox certification: the scenarios your business must pass, and running them")
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : SCENARIOS_EXIT.usage);
    });
  const matrixHelp =
    `\nActivities: ${businessActivities().join(", ")}\nSectors: ${scenarioSectors().join(", ")}\n` +
    "(PRAL's matrix, spec v1.12 §10; IRIS > Sandbox shows the authoritative list for your registration.)\n";

  scenarios
    .command("list")
    .description("The scenario ids PRAL assigns to a business activity and sector")
    .requiredOption("--activity <activity>", 'business activity, e.g. "Manufacturer"')
    .requiredOption("--sector <sector>", 'sector, e.g. "All Other Sectors"')
    .addHelpText(
      "after",
      `${matrixHelp}Exit status: 0 listed, 2 unknown activity or sector (the valid ones are printed).\n`,
    )
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : SCENARIOS_EXIT.usage);
    })
    .action((flags: { activity: string; sector: string }) => {
      process.exitCode = runScenariosList(flags, {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        env: process.env,
      });
    });

  scenarios
    .command("run")
    .description(
      "Post one invoice per assigned scenario to FBR's sandbox through a gateway; one line per scenario",
    )
    .requiredOption(
      "--gateway <url>",
      "the gateway's base URL; its API key's tenant must be a sandbox tenant",
    )
    .option("--key-file <path>", "file holding the gateway API key (or set RASEED_API_KEY)")
    .requiredOption("--activity <activity>", 'business activity, e.g. "Manufacturer"')
    .requiredOption("--sector <sector>", 'sector, e.g. "Steel"')
    .option("--only <ids>", "run only these scenarios, e.g. SN003,SN005 (the ones that failed)")
    .option(
      "--wait-seconds <n>",
      "how long the gateway waits for FBR's answers",
      (value) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 300) throw new Error("--wait-seconds must be 0 to 300");
        return n;
      },
      60,
    )
    .addHelpText(
      "after",
      `${matrixHelp}Each invoice is built with your tenant's own details and a valid sandbox buyer, checked locally and\n` +
        "posted through the gateway's outbox. Exit status: 0 every scenario passed; 1 any failed or pending;\n" +
        "2 usage error, unknown activity/sector/scenario, refused key or unreachable gateway. Guide: docs/certification.md\n",
    )
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : SCENARIOS_EXIT.usage);
    })
    .action(
      async (flags: {
        gateway: string;
        keyFile?: string;
        activity: string;
        sector: string;
        only?: string;
        waitSeconds: number;
      }) => {
        process.exitCode = await runScenariosRun(flags, {
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          env: process.env,
        });
      },
    );
}
