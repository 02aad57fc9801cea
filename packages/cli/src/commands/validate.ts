import { readFileSync } from "node:fs";
import { buildDraftOrIssues } from "@raseed/gateway/drafts";
import {
  checkImsInvoice,
  type FbrOnlyCheck,
  type ValidationIssue,
  type ValidationResult,
  type ValidationVerdict,
  validateDiInvoice,
  verdictOf,
} from "@raseed/sdk";
import { type Command, Option } from "commander";

export interface ValidateCommandOptions {
  kind: "di" | "ims";
  sandbox: boolean;
  json: boolean;
}

/** One file's verdict in `--json` output (issue 2: `[{ file, valid, errors: [{ code, item, field, message }] }]`). */
export interface ValidateFileReport {
  file: string;
  valid: boolean;
  /** "valid", "invalid", or "valid-fbr-will-check" (no problem found, but FBR still checks `fbrWillCheck`). */
  verdict: ValidationVerdict;
  /** Rules only FBR can decide (HS code list, buyer register 0053, scenario assignment, duplicate lines,
   * the UTC-day date warning 0043); [] for IMS. */
  fbrWillCheck: FbrOnlyCheck[];
  /**
   * DI only: which body of the gateway's POST /v1/invoices the file holds: a bare FBR "payload", an
   * `{ externalRef?, invoice }` envelope, or Raseed's simpler `{ externalRef?, draft }` form.
   */
  form?: SubmissionForm;
  /** Only for a file that could not be read or parsed (exit 2): one line saying why; `errors` is then []. */
  error?: string;
  errors: { code: string; item: number | null; field: string; message: string }[];
}

export interface ValidateCommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => string;
  now?: Date;
}

export type SubmissionForm = "payload" | "invoice" | "draft";

/**
 * A draft may leave out the seller: the gateway fills it from the API key's tenant. Offline there is no tenant,
 * so these stand in (and the output says the seller was not checked).
 */
const STAND_IN_SELLER = {
  ntnCnic: "0000000",
  businessName: "the API key's tenant",
  province: "Sindh",
  address: "the tenant's address",
};

/**
 * Reads a DI file as the gateway reads POST /v1/invoices: `{ externalRef?, invoice }`, `{ externalRef?, draft }`
 * (built with the sdk's builder, every problem named), or a bare FBR payload; then validates the FBR payload.
 */
export function validateDiSubmission(
  body: unknown,
  options: { sandbox: boolean; now?: Date },
): { form: SubmissionForm; result: ValidationResult; fbrWillCheck: FbrOnlyCheck[]; sellerStandIn: boolean } {
  const record = typeof body === "object" && body !== null && !Array.isArray(body);
  const content = record ? (body as Record<string, unknown>) : {};
  const form: SubmissionForm =
    record && "draft" in content ? "draft" : record && "invoice" in content ? "invoice" : "payload";
  const refRule = "externalRef must be a non-empty string of at most 200 characters";
  const ref = content.externalRef;
  if (ref !== undefined && (typeof ref !== "string" || ref.trim() === "" || ref.length > 200)) {
    const issue: ValidationIssue = {
      code: "bad_request",
      level: "header",
      field: "externalRef",
      path: "externalRef",
      message: refRule,
      fix: "Give the invoice's own reference in your ERP, or leave externalRef out.",
    };
    return { form, result: { valid: false, issues: [issue] }, fbrWillCheck: [], sellerStandIn: false };
  }
  let invoice: unknown = body;
  let sellerStandIn = false;
  if (form === "draft") {
    const draft = content.draft;
    sellerStandIn = typeof draft === "object" && draft !== null && !("seller" in draft);
    const built = buildDraftOrIssues(
      sellerStandIn ? { seller: STAND_IN_SELLER, ...(draft as Record<string, unknown>) } : draft,
      {
        sandbox: options.sandbox,
      },
    );
    if ("issues" in built) {
      return { form, result: { valid: false, issues: built.issues }, fbrWillCheck: [], sellerStandIn };
    }
    invoice = built.invoice;
  } else if (form === "invoice") {
    invoice = content.invoice;
  } else if (ref !== undefined) {
    // A bare payload may carry externalRef; the gateway removes it before validating.
    const { externalRef: _ref, ...rest } = content;
    invoice = rest;
  }
  const result = validateDiInvoice(invoice, {
    sandbox: options.sandbox,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { form, result, fbrWillCheck: result.fbrWillCheck, sellerStandIn };
}

/** Exit codes: 0 all valid, 1 any invalid, 2 usage error, unreadable file or malformed JSON. */
export const VALIDATE_EXIT = { valid: 0, invalid: 1, usage: 2 } as const;

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

function formatIssue(issue: ValidationIssue): string {
  const where = issue.item === undefined ? "header" : `item ${issue.item}`;
  const field = issue.field === "" ? "" : `  ${issue.field}`;
  return `  ${issue.code}  ${where}${field}: ${issue.message}\n        fix: ${issue.fix}`;
}

/**
 * Validates each file and prints the verdicts; returns the exit code. Unreadable files and malformed JSON
 * are reported on stderr in one line each and make the exit code 2, but the other files are still checked.
 */
export function runValidateCommand(
  files: readonly string[],
  options: ValidateCommandOptions,
  io: ValidateCommandIo,
): number {
  const reports: ValidateFileReport[] = [];
  let unreadable = false;
  for (const file of files) {
    let payload: unknown;
    try {
      // A leading byte-order mark (Windows editors save UTF-8 with one) is not part of the JSON.
      payload = JSON.parse(io.readFile(file).replace(/^\uFEFF/, ""));
    } catch (error) {
      unreadable = true;
      const reason =
        error instanceof SyntaxError
          ? `malformed JSON (${oneLine(error)})`
          : `cannot read it (${oneLine(error)})`;
      io.stderr(`raseed validate: ${file}: ${reason}\n`);
      reports.push({ file, valid: false, verdict: "invalid", fbrWillCheck: [], error: reason, errors: [] });
      continue;
    }
    const di =
      options.kind === "ims"
        ? undefined
        : validateDiSubmission(payload, {
            sandbox: options.sandbox,
            ...(io.now === undefined ? {} : { now: io.now }),
          });
    const result = di?.result ?? checkImsInvoice(payload);
    const fbrWillCheck = di?.fbrWillCheck ?? [];
    // Which body it was, and that a draft's missing seller was not checked (the gateway uses the tenant's).
    const form =
      di === undefined || di.form === "payload"
        ? ""
        : ` (${di.form}${di.sellerStandIn ? "; seller from the tenant, not checked" : ""})`;
    reports.push({
      file,
      ...(di !== undefined ? { form: di.form } : {}),
      valid: result.valid,
      verdict: verdictOf(result),
      fbrWillCheck,
      errors: result.issues.map((issue) => ({
        code: issue.code,
        item: issue.item ?? null,
        field: issue.field,
        message: issue.message,
      })),
    });
    if (!options.json) {
      if (result.valid && fbrWillCheck.length === 0) {
        io.stdout(`${file}${form}: valid\n`);
      } else if (result.valid) {
        io.stdout(
          `${file}${form}: valid, FBR will still check: ${fbrWillCheck.map((check) => check.rule).join(", ")}\n`,
        );
        for (const check of fbrWillCheck) {
          const codes = check.codes.length === 0 ? "FBR's code unknown" : check.codes.join("/");
          io.stdout(`  ${check.rule} (${codes}): ${check.message}\n`);
        }
      } else {
        const count = result.issues.length;
        io.stdout(`${file}${form}: invalid, ${count} problem${count === 1 ? "" : "s"}\n`);
        for (const issue of result.issues) io.stdout(`${formatIssue(issue)}\n`);
      }
    }
  }
  if (options.json) io.stdout(`${JSON.stringify(reports, null, 2)}\n`);
  if (unreadable) return VALIDATE_EXIT.usage;
  return reports.every((report) => report.valid) ? VALIDATE_EXIT.valid : VALIDATE_EXIT.invalid;
}

/** Registers `raseed validate`. */
export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description(
      "Validate DI or IMS invoice JSON files against FBR's rules; lists every problem with its FBR error code",
    )
    .argument(
      "<file...>",
      "invoice JSON files (one invoice per file); DI files may be any body POST /v1/invoices takes: an FBR payload, { externalRef, invoice } or { draft }",
    )
    .addOption(
      new Option(
        "--kind <kind>",
        "invoice kind: di (Digital Invoicing) or ims (Tier-1 POS, read as every IMS entry point reads it: any key case, numbers as text, dashed BuyerCNIC, ISO dates)",
      ).default("di"),
    )
    .option("--sandbox", "apply the DI sandbox scenario rules (scenarioId, 0203-0205)", false)
    .option(
      "--json",
      "print a JSON array of { file, valid, verdict, fbrWillCheck, errors } instead of text",
      false,
    )
    .addHelpText(
      "after",
      '\nVerdicts: valid; invalid; or "valid, FBR will still check: ..." naming the rules only FBR can\n' +
        "  decide (hs-code-exists, buyer-registration 0053, scenario-assigned 0203, duplicate-lines, and\n" +
        "  invoice-date-utc-day: a warning for an invoice dated today before 05:00 Pakistan time, 0043).\n" +
        "\nDI files are read as the gateway reads POST /v1/invoices: { externalRef?, invoice } is checked as\n" +
        "  FBR's payload; { externalRef?, draft } is built with the sdk's builder first (every problem named,\n" +
        "  code invalid_draft or FBR's), a draft without seller is checked with a stand-in seller.\n" +
        "\n--json: one entry per file; a file that cannot be read or is not JSON is listed as\n" +
        '  { "file", "valid": false, "verdict": "invalid", "error": "<one line>", "errors": [] } (and the run exits 2).\n' +
        "Exit status: 0 all valid, 1 any invalid, 2 usage error, unreadable file or malformed JSON.\nCodes: docs/errors.md",
    )
    // Usage errors exit 2 with commander's one-line message (never a stack trace); help and version exit 0.
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : VALIDATE_EXIT.usage);
    })
    .action((files: string[], raw: { kind: string; sandbox: boolean; json: boolean }) => {
      if (raw.kind !== "di" && raw.kind !== "ims") {
        process.stderr.write(`raseed validate: --kind must be "di" or "ims", got "${raw.kind}"\n`);
        process.exitCode = VALIDATE_EXIT.usage;
        return;
      }
      process.exitCode = runValidateCommand(
        files,
        { kind: raw.kind, sandbox: raw.sandbox, json: raw.json },
        {
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          readFile: (path) => readFileSync(path, "utf8"),
        },
      );
    });
}
