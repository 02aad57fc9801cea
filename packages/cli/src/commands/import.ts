import { readFileSync } from "node:fs";
import {
  allProblems,
  type ColumnMap,
  ColumnMapError,
  type ImportPlan,
  type ImportProblem,
  type ImportTenant,
  type PlannedInvoice,
  parseColumnMap,
  planImport,
  readSheetFile,
  SheetReadError,
  sheetKindOf,
} from "@raseed/gateway";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { errorLine, GatewayCallError, GatewayHttp, readApiKey } from "../gateway-http.ts";

/** Exit codes: 0 everything sent (and, with --wait, accepted); 1 something needs attention; 2 usage or unreachable. */
export const IMPORT_EXIT = { ok: 0, attention: 1, usage: 2 } as const;

export interface ImportCommandOptions {
  gateway: string;
  keyFile?: string | undefined;
  map?: string | undefined;
  dryRun: boolean;
  skipInvalid: boolean;
  wait: boolean;
  /** Seconds --wait waits for FBR's answers in all. */
  waitTimeout: number;
  concurrency: number;
}

export interface ImportCommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** A terminal gets a progress bar; anything else plain periodic lines. */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** How often --wait looks at pending invoices. */
  pollIntervalMs?: number;
}

type SendOutcome =
  | { kind: "sent" | "already"; invoiceId: string; state: string; errors: unknown[] | null }
  | { kind: "conflict"; message: string }
  | { kind: "refused"; message: string }
  | { kind: "error"; message: string };

interface Tally {
  sent: number;
  already: number;
  conflicts: { invoice: PlannedInvoice; message: string }[];
  refused: { invoice: PlannedInvoice; message: string }[];
  errors: { invoice: PlannedInvoice; message: string }[];
  /** Invoices the gateway holds, by reference: their id and latest state. */
  tracked: Map<string, { id: string; state: string; errors: unknown[] | null; rows: number[] }>;
}

const FINAL_STATES = new Set(["accepted", "rejected", "failed", "abandoned"]);

function where(problem: ImportProblem): string {
  const sheet = problem.sheet === "" ? "" : `${problem.sheet}!`;
  const column = problem.column === null ? "" : ` column "${problem.column}"`;
  return `${sheet}row ${problem.row}${column}`;
}

function printProblems(plan: ImportPlan, io: ImportCommandIo): void {
  for (const problem of allProblems(plan)) {
    const reference = problem.reference === undefined ? "" : ` [${problem.reference}]`;
    io.stdout(`${where(problem)}: ${problem.code} ${problem.message}${reference}\n`);
    if (problem.fix !== undefined) io.stdout(`    fix: ${problem.fix}\n`);
  }
}

function readMap(path: string | undefined): ColumnMap {
  if (path === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ColumnMapError(
      `cannot read --map ${path}: ${error instanceof SyntaxError ? "malformed JSON" : ((error as NodeJS.ErrnoException).code ?? "error")}`,
    );
  }
  return parseColumnMap(parsed);
}

/** Progress on stderr: a bar on a terminal, a line every tenth of the way otherwise. */
function progressReporter(total: number, io: ImportCommandIo): { tick(done: number): void; stop(): void } {
  if (io.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: "sending |{bar}| {value}/{total} invoices", stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { tick: (done) => bar.update(done), stop: () => bar.stop() };
  }
  const step = Math.max(1, Math.ceil(total / 10));
  return {
    tick: (done) => {
      if (done % step === 0 || done === total) io.stderr(`sending: ${done}/${total} invoices\n`);
    },
    stop: () => {},
  };
}

async function sendOne(http: GatewayHttp, invoice: PlannedInvoice): Promise<SendOutcome> {
  const response = await http.call("POST", "/v1/invoices", {
    body: invoice.body,
    headers: { "idempotency-key": invoice.idempotencyKey },
    // The Idempotency-Key makes a repeat safe: the gateway answers it from its store.
    idempotent: true,
  });
  const body = response.body as { id?: string; state?: string; errors?: unknown[] | null } | null;
  if ((response.status === 200 || response.status === 202) && typeof body?.id === "string") {
    return {
      kind: response.status === 202 ? "sent" : "already",
      invoiceId: body.id,
      state: body.state ?? "queued",
      errors: body.errors ?? null,
    };
  }
  if (response.status === 409) return { kind: "conflict", message: errorLine(response) };
  if (response.status === 422) return { kind: "refused", message: errorLine(response) };
  return { kind: "error", message: errorLine(response) };
}

async function sendAll(
  http: GatewayHttp,
  invoices: PlannedInvoice[],
  options: ImportCommandOptions,
  io: ImportCommandIo,
): Promise<Tally> {
  const tally: Tally = { sent: 0, already: 0, conflicts: [], refused: [], errors: [], tracked: new Map() };
  const progress = progressReporter(invoices.length, io);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < invoices.length) {
      const invoice = invoices[next] as PlannedInvoice;
      next += 1;
      let outcome: SendOutcome;
      try {
        outcome = await sendOne(http, invoice);
      } catch (error) {
        if (error instanceof GatewayCallError && error.code === "unauthorised") throw error;
        outcome = { kind: "error", message: (error as Error).message };
      }
      if (outcome.kind === "sent" || outcome.kind === "already") {
        if (outcome.kind === "sent") tally.sent += 1;
        else tally.already += 1;
        tally.tracked.set(invoice.reference, {
          id: outcome.invoiceId,
          state: outcome.state,
          errors: outcome.errors,
          rows: invoice.rows,
        });
      } else if (outcome.kind === "conflict") tally.conflicts.push({ invoice, message: outcome.message });
      else if (outcome.kind === "refused") tally.refused.push({ invoice, message: outcome.message });
      else if (outcome.kind === "error") tally.errors.push({ invoice, message: outcome.message });
      done += 1;
      progress.tick(done);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    progress.stop();
  }
  return tally;
}

/** Polls the gateway until every tracked invoice is final or the time is up; the count of polls is bounded. */
async function waitForOutcomes(
  http: GatewayHttp,
  tally: Tally,
  options: ImportCommandOptions,
  io: ImportCommandIo,
): Promise<void> {
  const interval = io.pollIntervalMs ?? 1000;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const rounds = Math.max(1, Math.ceil((options.waitTimeout * 1000) / interval));
  for (let round = 0; round < rounds; round += 1) {
    const open = [...tally.tracked.values()].filter((entry) => !FINAL_STATES.has(entry.state));
    if (open.length === 0) return;
    for (const entry of open) {
      const response = await http.call("GET", `/v1/invoices/${encodeURIComponent(entry.id)}`);
      if (response.status === 200) {
        entry.state = String(response.body.state);
        entry.errors = (response.body.errors as unknown[] | null) ?? null;
      }
    }
    if ([...tally.tracked.values()].every((entry) => FINAL_STATES.has(entry.state))) return;
    await sleep(interval);
  }
}

function errorCodes(errors: unknown[] | null): string[] {
  return (errors ?? []).map((error) => String((error as { code?: unknown }).code ?? "?"));
}

function printSummary(
  plan: ImportPlan,
  invalid: PlannedInvoice[],
  tally: Tally,
  options: ImportCommandOptions,
  io: ImportCommandIo,
): boolean {
  const states = [...tally.tracked.entries()];
  const accepted = states.filter(([, entry]) => entry.state === "accepted").length;
  const rejected = states.filter(([, entry]) => ["rejected", "failed", "abandoned"].includes(entry.state));
  const pending = states.length - accepted - rejected.length;
  io.stdout(
    `\nsummary: ${plan.invoices.length} invoices in ${plan.rowCount} rows; sent ${tally.sent}, already sent before ${tally.already}, ` +
      `accepted ${accepted}, rejected ${rejected.length}, pending ${pending}, conflicts ${tally.conflicts.length}, ` +
      `not sent (invalid) ${invalid.length}${tally.refused.length + tally.errors.length > 0 ? `, failed to send ${tally.refused.length + tally.errors.length}` : ""}\n`,
  );
  for (const [reference, entry] of rejected) {
    io.stdout(
      `rejected ${reference} (rows ${entry.rows.join(", ")}): ${errorCodes(entry.errors).join(", ") || entry.state} (invoice ${entry.id})\n`,
    );
  }
  for (const { invoice, message } of tally.conflicts) {
    io.stdout(
      `conflict ${invoice.reference} (rows ${invoice.rows.join(", ")}): already sent with other content; not sent again (${message})\n`,
    );
  }
  for (const { invoice, message } of [...tally.refused, ...tally.errors]) {
    io.stdout(`not sent ${invoice.reference} (rows ${invoice.rows.join(", ")}): ${message}\n`);
  }
  if (pending > 0 && !options.wait)
    io.stdout(`pending invoices are reported by the gateway; add --wait to wait for FBR's answers\n`);
  return (
    invalid.length === 0 &&
    rejected.length === 0 &&
    tally.conflicts.length === 0 &&
    tally.refused.length === 0 &&
    tally.errors.length === 0 &&
    (!options.wait || pending === 0)
  );
}

/** Runs `raseed import`; returns the exit code. Never throws for a user's mistake: one line, exit 2. */
export async function runImportCommand(
  file: string,
  options: ImportCommandOptions,
  io: ImportCommandIo,
): Promise<number> {
  try {
    sheetKindOf(file);
    const map = readMap(options.map);
    const apiKey = readApiKey(options.keyFile, io.env);
    const http = new GatewayHttp({
      baseUrl: options.gateway,
      apiKey,
      ...(io.fetch !== undefined ? { fetch: io.fetch } : {}),
      ...(io.sleep !== undefined ? { sleep: io.sleep } : {}),
    });
    const who = await http.call("GET", "/v1/tenant");
    if (who.status !== 200)
      throw new GatewayCallError(`GET /v1/tenant: ${errorLine(who)}`, who.status, "unexpected");
    const tenant = who.body as ImportTenant;

    const plan = await planImport(readSheetFile(file), {
      tenant,
      map,
      progressEvery: 10_000,
      onRows: (rows) => io.stderr(`reading: ${rows} rows\n`),
    });
    if (plan.unknownColumns.length > 0) {
      io.stderr(
        `ignored columns (no field and no --map entry): ${plan.unknownColumns.map((c) => `"${c}"`).join(", ")}\n`,
      );
    }
    printProblems(plan, io);
    const invalid = plan.invoices.filter((invoice) => invoice.problems.length > 0);
    const valid = plan.invoices.filter((invoice) => invoice.problems.length === 0);
    const rowsWithoutInvoice = plan.fileProblems.length;
    io.stdout(
      `${file}: ${plan.rowCount} rows, ${plan.invoices.length} invoices (${plan.form === "draft" ? "quantity and unit price; the gateway computes the amounts" : "FBR's fields"}), ` +
        `${valid.length} valid, ${invalid.length} invalid${rowsWithoutInvoice > 0 ? `, ${rowsWithoutInvoice} file problem(s)` : ""}\n`,
    );
    const fileBroken = plan.fileProblems.some((problem) => problem.row === 1 || problem.code === "RIMP06");
    if (options.dryRun) {
      io.stdout("dry run: nothing was sent\n");
      return invalid.length === 0 && rowsWithoutInvoice === 0 ? IMPORT_EXIT.ok : IMPORT_EXIT.attention;
    }
    if (fileBroken) {
      io.stdout("refused: the file itself has problems; nothing was sent\n");
      return IMPORT_EXIT.attention;
    }
    if ((invalid.length > 0 || rowsWithoutInvoice > 0) && !options.skipInvalid) {
      io.stdout(
        `refused: ${invalid.length + rowsWithoutInvoice} problem invoice(s) or row(s); nothing was sent. Fix them, or add --skip-invalid to send the ${valid.length} valid invoice(s)\n`,
      );
      return IMPORT_EXIT.attention;
    }
    const tally = await sendAll(http, valid, options, io);
    if (options.wait) await waitForOutcomes(http, tally, options, io);
    const clean = printSummary(plan, invalid, tally, options, io);
    return clean && rowsWithoutInvoice === 0 ? IMPORT_EXIT.ok : IMPORT_EXIT.attention;
  } catch (error) {
    if (
      error instanceof GatewayCallError ||
      error instanceof ColumnMapError ||
      error instanceof SheetReadError
    ) {
      io.stderr(`raseed import: ${error.message}\n`);
      return IMPORT_EXIT.usage;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") {
      io.stderr(`raseed import: cannot read ${file} (${code})\n`);
      return IMPORT_EXIT.usage;
    }
    throw error;
  }
}

function positiveInteger(name: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1)
      throw new Error(`${name} must be a whole number of at least 1`);
    return number;
  };
}

/** Registers `raseed import`. */
export function registerImportCommand(program: Command): void {
  program
    .command("import")
    .description(
      "Send a month of sales from a CSV or XLSX file through a gateway: every row checked first, safe to re-run",
    )
    .argument("<file>", "a .csv or .xlsx file, one row per invoice line, the header in row 1")
    .requiredOption("--gateway <url>", "the gateway's base URL, e.g. http://127.0.0.1:8080")
    .option("--key-file <path>", "file holding the gateway API key (or set RASEED_API_KEY)")
    .option(
      "--map <mapping.json>",
      'JSON object mapping your column titles to fields: { "Bill No": "invoiceRefNo" }',
    )
    .option("--dry-run", "check every row and report; send nothing", false)
    .option(
      "--skip-invalid",
      "send the valid invoices even when others are invalid (those are listed)",
      false,
    )
    .option("--wait", "wait for FBR's answers and report accepted and rejected invoices", false)
    .option(
      "--wait-timeout <seconds>",
      "how long --wait waits in all",
      positiveInteger("--wait-timeout"),
      300,
    )
    .option("--concurrency <n>", "invoices sent at once", positiveInteger("--concurrency"), 4)
    .addHelpText(
      "after",
      "\nColumns: FBR's DI field names (invoiceRefNo, invoiceDate, buyerNTNCNIC, hsCode, quantity,\n" +
        "valueSalesExcludingST, ...), Raseed's draft columns (quantity, unitPrice, discount: the amounts are\n" +
        "computed), or the titles of FBR's IRIS sales-annex template; anything else via --map. Rows with one\n" +
        "invoiceRefNo make one invoice. Problems name the sheet row (header = row 1), the column and FBR's code.\n" +
        "Each invoice's idempotency key is the seller's NTN and its reference: a re-run sends nothing twice, and\n" +
        "a changed row under a reference already sent is reported as a conflict.\n" +
        "Exit status: 0 all sent (and accepted, with --wait); 1 invalid rows, conflicts, rejections or pending\n" +
        "after --wait; 2 usage error, unreadable file or gateway unreachable. Guide: docs/import.md",
    )
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : IMPORT_EXIT.usage);
    })
    .action(
      async (
        file: string,
        flags: {
          gateway: string;
          keyFile?: string;
          map?: string;
          dryRun: boolean;
          skipInvalid: boolean;
          wait: boolean;
          waitTimeout: number;
          concurrency: number;
        },
      ) => {
        process.exitCode = await runImportCommand(file, flags, {
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          isTTY: process.stderr.isTTY === true,
          env: process.env,
        });
      },
    );
}
