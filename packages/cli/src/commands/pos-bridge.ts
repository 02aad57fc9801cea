import {
  BridgeConfigError,
  type BridgeFlags,
  bridgeStatus,
  formatSale,
  formatStatus,
  inDoubtSales,
  journalExists,
  journalPath,
  loadBridgeConfig,
  reconcileSale,
  resolveBridgeDataDir,
  SaleJournal,
  saleStatus,
  startPosBridge,
} from "@raseed/pos-bridge";
import type { Command } from "commander";

/** Usage errors exit 2 with a one-line reason, never a stack trace (the CLI's rule). */
function usageError(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

/** Anything else that goes wrong: one line, exit 1. */
function failed(error: unknown): never {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

function openExistingJournal(flags: { dataDir?: string; config?: string }): SaleJournal {
  let dataDir: string;
  try {
    dataDir = resolveBridgeDataDir(flags);
  } catch (error) {
    if (error instanceof BridgeConfigError) usageError(error.message);
    throw error;
  }
  const file = journalPath(dataDir);
  // status and reconcile never create a journal: a wrong --data-dir must not look like an empty bridge.
  if (!journalExists(file)) usageError(`no pos-bridge journal at ${file} (check --data-dir or --config)`);
  return new SaleJournal(file);
}

function parsePosId(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const posId = Number(value);
  if (!Number.isSafeInteger(posId) || posId <= 0)
    usageError(`--pos-id must be a positive whole number; got "${value}"`);
  return posId;
}

async function runBridge(flags: BridgeFlags): Promise<void> {
  let config: ReturnType<typeof loadBridgeConfig>;
  try {
    config = loadBridgeConfig(flags);
  } catch (error) {
    if (error instanceof BridgeConfigError) usageError(error.message);
    throw error;
  }
  let running: Awaited<ReturnType<typeof startPosBridge>>;
  try {
    running = await startPosBridge(config);
  } catch (error) {
    if (error instanceof BridgeConfigError) usageError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES")
      usageError(`cannot listen on ${config.host}:${config.port} (${code})`);
    failed(error);
  }
  // Signal handlers before the "listening" line: a supervisor that stops the bridge as soon as it reads that
  // line must get a graceful stop, not the default SIGTERM death.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  process.stdout.write(
    `pos-bridge listening on ${running.url} (POSID ${config.tills.map((t) => t.posId).join(", ")})\n`,
  );
  for (const [posId, url] of running.tillUrls) process.stdout.write(`  POSID ${posId} on ${url}\n`);
  await stopped;
  // Uploads on the wire are allowed to settle; pending sales stay journaled for the next start.
  await running.close();
}

/** Registers `raseed pos-bridge` with its `status` and `reconcile` subcommands. */
export function registerPosBridgeCommand(program: Command): void {
  const bridge = program
    .command("pos-bridge")
    .description(
      "Run the POS bridge: FBR's IMS fiscal-component API (localhost:8524) for any OS, journaled, uploading to FBR, provisional replies when offline",
    )
    .option("--port <port>", "port POS software calls (FBR's component uses 8524)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("--data-dir <dir>", "folder for the journal (default ./data/pos-bridge)")
    .option("--config <file>", "JSON config file (tills, receipt details, timings)")
    .option(
      "--pos-id <posid>",
      "FBR POS registration number of the till (with --token, unless via a gateway)",
    )
    .option("--token <token>", "FBR IMS access token of the till (prefer RASEED_POS_BRIDGE_TOKEN)")
    .option("--env <environment>", "FBR environment: sandbox or production (default sandbox)")
    .option(
      "--ims-authority <authority>",
      "the revenue authority the tills report to: fbr (default) or pra (Punjab Revenue Authority)",
    )
    .option(
      "--upstream <upstream>",
      'where sales go: "fbr" (default) or a Raseed gateway URL (its POST /v1/ims/invoices)',
    )
    .option(
      "--api-key <key>",
      "with a gateway upstream: the gateway API key (prefer RASEED_POS_BRIDGE_GATEWAY_API_KEY)",
    )
    .option("--fbr-url <url>", "replace FBR's IMS hosts, e.g. a local simulator http://127.0.0.1:8244")
    .option(
      "--till-timeout <ms>",
      "longest the till waits for FBR before the provisional reply (default 4000)",
    )
    .exitOverride((error) => {
      // Commander's own usage errors exit 1; Raseed's CLI uses 2 for every usage error.
      if (
        error.exitCode === 1 &&
        error.code.startsWith("commander.") &&
        error.code !== "commander.executeSubCommandAsync"
      ) {
        process.exit(2);
      }
      process.exit(error.exitCode);
    })
    .action(async (flags: BridgeFlags) => {
      await runBridge(flags).catch(failed);
    });

  bridge
    .command("status")
    .description("Show the journal: sales by state, the oldest unreported sale, and sales not yet accepted")
    .option("--data-dir <dir>", "the bridge's data folder")
    .option("--config <file>", "the bridge's config file (for its dataDir)")
    .option("--usin <usin>", "show one sale and its FBR number")
    .option("--pos-id <posid>", "with --usin: the till, when several share a USIN")
    .option("--json", "print JSON")
    .action((_options: unknown, command: Command) => {
      // `raseed` parses options for the whole chain, so --data-dir/--config/--pos-id given after `status`
      // land on pos-bridge itself: read them merged.
      const flags = command.optsWithGlobals<{
        dataDir?: string;
        config?: string;
        usin?: string;
        posId?: string;
        json?: boolean;
      }>();
      const posId = parsePosId(flags.posId);
      const journal = openExistingJournal(flags);
      try {
        if (flags.usin !== undefined) {
          const sales = saleStatus(journal, flags.usin, posId);
          if (sales.length === 0) usageError(`no sale with USIN ${flags.usin}`);
          process.stdout.write(
            flags.json ? `${JSON.stringify(sales, null, 2)}\n` : `${sales.map(formatSale).join("\n")}\n`,
          );
          return;
        }
        const report = bridgeStatus(journal, Date.now());
        process.stdout.write(
          flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`,
        );
      } finally {
        void journal.close(); // no checkpoint thread: closed before it returns
      }
    });

  bridge
    .command("reconcile")
    .description(
      "Settle sales in doubt (FBR may or may not have them): list them, record the number FBR gave one, or upload one again",
    )
    .option("--data-dir <dir>", "the bridge's data folder")
    .option("--config <file>", "the bridge's config file (for its dataDir)")
    .option("--usin <usin>", "the in-doubt sale to settle")
    .option("--pos-id <posid>", "the till, when several share a USIN")
    .option("--fbr-number <number>", "FBR has the sale: record the fiscal number found in FBR's records")
    .option("--resend", "FBR does not have the sale: queue it for upload again")
    .option("--json", "print JSON")
    .action((_options: unknown, command: Command) => {
      const flags = command.optsWithGlobals<{
        dataDir?: string;
        config?: string;
        usin?: string;
        posId?: string;
        fbrNumber?: string;
        resend?: boolean;
        json?: boolean;
      }>();
      const posId = parsePosId(flags.posId);
      if (flags.fbrNumber !== undefined && flags.resend === true)
        usageError("use either --fbr-number or --resend");
      if ((flags.fbrNumber !== undefined || flags.resend === true) && flags.usin === undefined) {
        usageError("--fbr-number and --resend need --usin");
      }
      if (flags.fbrNumber !== undefined && flags.fbrNumber.trim() === "") usageError("--fbr-number is empty");
      const journal = openExistingJournal(flags);
      try {
        if (flags.usin === undefined) {
          const inDoubt = inDoubtSales(journal);
          if (flags.json) {
            process.stdout.write(
              `${JSON.stringify(
                inDoubt.map((s) => ({
                  posId: s.posId,
                  usin: s.usin,
                  reason: s.lastReason,
                  ...(s.fiscalNumberInAttempts === undefined
                    ? {}
                    : { fiscalNumberInAttempts: s.fiscalNumberInAttempts }),
                })),
                null,
                2,
              )}\n`,
            );
            return;
          }
          if (inDoubt.length === 0) {
            process.stdout.write("no sales in doubt\n");
            return;
          }
          process.stdout.write(
            `${inDoubt.length} sale(s) in doubt. Check each in FBR's records, then run\n` +
              "  raseed pos-bridge reconcile --usin <USIN> --fbr-number <number>   (FBR has it)\n" +
              "  raseed pos-bridge reconcile --usin <USIN> --resend                (FBR does not)\n",
          );
          for (const sale of inDoubt) {
            const found =
              sale.fiscalNumberInAttempts === undefined
                ? ""
                : ` [FBR answered with fiscal number ${sale.fiscalNumberInAttempts}: --fbr-number ${sale.fiscalNumberInAttempts}]`;
            process.stdout.write(
              `  POSID ${sale.posId} USIN ${sale.usin}: ${sale.lastReason ?? ""}${found}\n`,
            );
          }
          return;
        }
        if (flags.fbrNumber === undefined && flags.resend !== true) {
          usageError("say what FBR has: --fbr-number <number> or --resend");
        }
        const decision =
          flags.fbrNumber !== undefined
            ? { kind: "fbrNumber" as const, fbrInvoiceNumber: flags.fbrNumber.trim() }
            : { kind: "resend" as const };
        const result = reconcileSale(journal, flags.usin, posId, decision, Date.now());
        if (!result.ok) usageError(result.reason);
        process.stdout.write(
          flags.json ? `${JSON.stringify(result.sale, null, 2)}\n` : `${formatSale(result.sale)}\n`,
        );
      } finally {
        void journal.close(); // no checkpoint thread: closed before it returns
      }
    });
}
