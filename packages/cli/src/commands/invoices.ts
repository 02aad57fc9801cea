// `raseed invoices list|show|retry|reconcile`: the same invoices the API and the dashboard show, read and
// settled either straight from the gateway's store (--tenant, with the store flags every admin command takes)
// or through a running gateway (--gateway <url> with an API key, the sdk's RaseedGateway client).
import { userInfo } from "node:os";
import {
  ApiError,
  DomainError,
  findTenant,
  GatewayEvents,
  getInvoice,
  type InvoiceView,
  listInvoices,
  openAdminContext,
  parseInvoiceListQuery,
  type ReconcileRequest,
  reconcileInvoice,
  retryInvoice,
  TenantError,
  toInvoiceView,
} from "@raseed/gateway";
import {
  type GatewayInvoiceListParams,
  type GatewayInvoiceState,
  type GatewayReconcileDecision,
  RaseedGateway,
  RaseedGatewayError,
} from "@raseed/sdk";
import type { Command } from "commander";
import { readApiKey } from "../gateway-http.ts";
import { exitTwoOnUsageErrors, withStoreOptions } from "./tenant.ts";

interface SourceFlags {
  tenant?: string;
  gateway?: string;
  keyFile?: string;
  dataDir?: string;
  db?: string;
  config?: string;
}

/** What the commands need, from the store or from a gateway. */
interface InvoiceSource {
  list(filters: Record<string, string | undefined>, max: number): Promise<InvoiceView[]>;
  show(id: string): Promise<InvoiceView>;
  retry(id: string): Promise<InvoiceView>;
  reconcile(id: string, decision: GatewayReconcileDecision): Promise<InvoiceView>;
  close(): Promise<void>;
}

class UsageError extends Error {}

function withSourceOptions(command: Command): Command {
  return withStoreOptions(
    command
      .option("--tenant <tenant>", "tenant id or NTN (reads the gateway's store directly)")
      .option(
        "--gateway <url>",
        "a running gateway's URL instead of the store (API key: --key-file or RASEED_API_KEY)",
      )
      .option("--key-file <path>", "file holding the gateway API key (with --gateway)"),
  );
}

async function storeSource(flags: SourceFlags, tenantRef: string): Promise<InvoiceSource> {
  const ctx = await openAdminContext(flags, process.env);
  try {
    const tenant = await findTenant(ctx.store.db, tenantRef);
    if (tenant === undefined) throw new TenantError(`no tenant with id or NTN ${tenantRef}`);
    const { db } = ctx.store;
    // The running gateway's worker finds re-queued invoices on its next poll; nothing listens here.
    const events = new GatewayEvents();
    const actor = `cli:${userInfo().username}`;
    return {
      async list(filters, max) {
        const found: InvoiceView[] = [];
        let cursor: string | undefined;
        do {
          const page = await listInvoices(db, tenant.id, parseInvoiceListQuery({ ...filters, cursor }));
          found.push(...page.items.map((row) => toInvoiceView(row)));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined && found.length < max);
        return found.slice(0, max);
      },
      show: async (id) => toInvoiceView(await getInvoice(db, tenant.id, id), true),
      retry: async (id) => toInvoiceView(await retryInvoice(db, events, tenant, id, actor)),
      async reconcile(id, decision) {
        const request: ReconcileRequest =
          "fbrInvoiceNumber" in decision
            ? { action: "fbr_number", fbrInvoiceNumber: decision.fbrInvoiceNumber, dated: decision.dated }
            : decision;
        return toInvoiceView(await reconcileInvoice(db, events, tenant.id, id, request, actor));
      },
      close: () => ctx.close(),
    };
  } catch (error) {
    await ctx.close();
    throw error;
  }
}

function gatewaySource(flags: SourceFlags & { gateway: string }): InvoiceSource {
  let client: RaseedGateway;
  try {
    client = new RaseedGateway({ baseUrl: flags.gateway, apiKey: readApiKey(flags.keyFile, process.env) });
  } catch (error) {
    throw new UsageError(`--gateway: ${(error as Error).message}`);
  }
  return {
    async list(filters, max) {
      const params: GatewayInvoiceListParams = {
        ...(filters.state !== undefined ? { state: filters.state as GatewayInvoiceState } : {}),
        ...(filters.from !== undefined ? { from: filters.from } : {}),
        ...(filters.to !== undefined ? { to: filters.to } : {}),
        ...(filters.createdFrom !== undefined ? { createdFrom: filters.createdFrom } : {}),
        ...(filters.createdTo !== undefined ? { createdTo: filters.createdTo } : {}),
        ...(filters.externalRef !== undefined ? { externalRef: filters.externalRef } : {}),
        limit: Math.min(max, 500),
      };
      const found: InvoiceView[] = [];
      for await (const invoice of client.invoices.list(params)) {
        found.push(invoice);
        if (found.length >= max) break;
      }
      return found;
    },
    show: (id) => client.invoices.retrieve(id),
    retry: (id) => client.invoices.retry(id),
    reconcile: (id, decision) => client.invoices.reconcile(id, decision),
    close: async () => {},
  };
}

/** Opens the store or the gateway the flags name, runs the work, closes; one line and an exit code on failure. */
async function withSource(flags: SourceFlags, work: (source: InvoiceSource) => Promise<void>): Promise<void> {
  let source: InvoiceSource | undefined;
  try {
    if (flags.gateway !== undefined && flags.tenant !== undefined) {
      throw new UsageError("give --tenant (the store) or --gateway (a running gateway), not both");
    }
    if (flags.gateway !== undefined) source = gatewaySource({ ...flags, gateway: flags.gateway });
    else if (flags.tenant !== undefined) source = await storeSource(flags, flags.tenant);
    else throw new UsageError("give --tenant <id or NTN> (the store) or --gateway <url> (a running gateway)");
    await work(source);
  } catch (error) {
    process.stderr.write(`raseed: ${describeFailure(error)}\n`);
    process.exitCode = isUsage(error) ? 2 : 1;
  } finally {
    await source?.close();
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof ApiError || error instanceof DomainError || error instanceof RaseedGatewayError) {
    return `${error.code}: ${error.message}`;
  }
  return (error as Error).message;
}

/** Bad flags, an unknown tenant or invoice, a state that forbids the action: the operator's to fix. */
function isUsage(error: unknown): boolean {
  if (error instanceof UsageError || error instanceof TenantError) return true;
  if (error instanceof ApiError) return error.status === 400 || error.status === 404;
  if (error instanceof DomainError) return error.code === "bad_request" || error.code === "not_found";
  if (error instanceof RaseedGatewayError) return error.status === 400 || error.status === 404;
  const name = (error as Error).name;
  return name === "ConfigError" || name === "MasterKeyError";
}

function line(invoice: InvoiceView): string {
  return [
    invoice.id,
    invoice.state.padEnd(10),
    (invoice.fbrInvoiceNumber ?? "-").padEnd(28),
    invoice.externalRef ?? "-",
    invoice.createdAt,
  ].join("  ");
}

function details(invoice: InvoiceView): string {
  const rows: [string, unknown][] = [
    ["id", invoice.id],
    ["state", invoice.state],
    ["external ref", invoice.externalRef],
    ["invoice date", invoice.invoice?.invoiceDate],
    ["buyer", invoice.invoice?.buyerBusinessName],
    ["FBR number", invoice.fbrInvoiceNumber],
    ["FBR number from", invoice.fbrNumberSource],
    ["FBR dated", invoice.dated],
    ["attempts", invoice.attempts],
    ["reason", invoice.reason],
    ["created", invoice.createdAt],
    ["updated", invoice.updatedAt],
  ];
  const out = rows
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([label, value]) => `${`${label}:`.padEnd(17)}${String(value)}`);
  for (const error of invoice.errors ?? []) out.push(`${"FBR error:".padEnd(17)}${JSON.stringify(error)}`);
  return `${out.join("\n")}\n`;
}

export function registerInvoicesCommand(program: Command): void {
  const invoices = exitTwoOnUsageErrors(
    program
      .command("invoices")
      .description("List, show, retry and reconcile invoices (from the store, or through a running gateway)"),
  );

  withSourceOptions(
    exitTwoOnUsageErrors(
      invoices
        .command("list")
        .description("List invoices, newest first")
        .option("--state <state>", "only this state (queued, accepted, rejected, in_doubt, failed ...)")
        .option("--from <date>", "the invoice's own date on or after this day (YYYY-MM-DD, Pakistan)")
        .option("--to <date>", "the invoice's own date on or before this day (inclusive)")
        .option("--created-from <when>", "stored at or after this instant or Pakistan day")
        .option("--created-to <when>", "stored at or before this instant or by the end of this Pakistan day")
        .option("--external-ref <ref>", "only the invoice with this ERP reference")
        .option("--limit <n>", "at most this many (1-10000)", "50")
        .option("--json", "print JSON (one array)"),
    ),
  ).action(
    async (
      flags: SourceFlags & {
        state?: string;
        from?: string;
        to?: string;
        createdFrom?: string;
        createdTo?: string;
        externalRef?: string;
        limit: string;
        json?: boolean;
      },
    ) =>
      withSource(flags, async (source) => {
        const max = Number(flags.limit);
        if (!Number.isInteger(max) || max < 1 || max > 10_000) {
          throw new UsageError(`--limit must be a whole number from 1 to 10000, got "${flags.limit}"`);
        }
        const found = await source.list(
          {
            state: flags.state,
            from: flags.from,
            to: flags.to,
            createdFrom: flags.createdFrom,
            createdTo: flags.createdTo,
            externalRef: flags.externalRef,
            limit: String(Math.min(max, 500)),
          },
          max,
        );
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
          return;
        }
        for (const invoice of found) process.stdout.write(`${line(invoice)}\n`);
        if (found.length === 0) process.stdout.write("no invoices\n");
      }),
  );

  withSourceOptions(
    exitTwoOnUsageErrors(
      invoices
        .command("show")
        .description("Show one invoice: state, FBR number or FBR's errors, and when")
        .argument("<id>", "the invoice id (inv_...)")
        .option("--json", "print the invoice with its FBR payload as JSON"),
    ),
  ).action(async (id: string, flags: SourceFlags & { json?: boolean }) =>
    withSource(flags, async (source) => {
      const invoice = await source.show(id);
      process.stdout.write(flags.json === true ? `${JSON.stringify(invoice, null, 2)}\n` : details(invoice));
    }),
  );

  withSourceOptions(
    exitTwoOnUsageErrors(
      invoices
        .command("retry")
        .description("Send a failed (or paused, once its token is fixed) invoice again")
        .argument("<id>", "the invoice id (inv_...)"),
    ),
  ).action(async (id: string, flags: SourceFlags) =>
    withSource(flags, async (source) => {
      const invoice = await source.retry(id);
      process.stdout.write(`${line(invoice)}\n`);
    }),
  );

  withSourceOptions(
    exitTwoOnUsageErrors(
      invoices
        .command("reconcile")
        .description(
          "Settle an in_doubt or failed invoice: the FBR number found in IRIS, send it again, or abandon it",
        )
        .argument("<id>", "the invoice id (inv_...)")
        .option("--fbr-number <number>", "the FBR invoice number IRIS shows for it (→ accepted)")
        .option("--dated <datetime>", "with --fbr-number: FBR's date for it, as IRIS shows it")
        .option("--resubmit", "post it again (you accept that FBR may then hold it twice)")
        .option("--abandon", "do not report it (→ abandoned)")
        .option("--reason <text>", "with --abandon: why, for the audit log"),
    ),
  ).action(
    async (
      id: string,
      flags: SourceFlags & {
        fbrNumber?: string;
        dated?: string;
        resubmit?: boolean;
        abandon?: boolean;
        reason?: string;
      },
    ) =>
      withSource(flags, async (source) => {
        const chosen = [flags.fbrNumber !== undefined, flags.resubmit === true, flags.abandon === true];
        if (chosen.filter(Boolean).length !== 1) {
          throw new UsageError("give exactly one of --fbr-number <number>, --resubmit or --abandon");
        }
        if (flags.dated !== undefined && flags.fbrNumber === undefined) {
          throw new UsageError("--dated goes with --fbr-number");
        }
        if (flags.reason !== undefined && flags.abandon !== true) {
          throw new UsageError("--reason goes with --abandon");
        }
        const decision: GatewayReconcileDecision =
          flags.fbrNumber !== undefined
            ? {
                fbrInvoiceNumber: flags.fbrNumber,
                ...(flags.dated !== undefined ? { dated: flags.dated } : {}),
              }
            : flags.resubmit === true
              ? { action: "resubmit" }
              : { action: "abandon", ...(flags.reason !== undefined ? { reason: flags.reason } : {}) };
        const invoice = await source.reconcile(id, decision);
        process.stdout.write(`${line(invoice)}\n`);
      }),
  );
}
