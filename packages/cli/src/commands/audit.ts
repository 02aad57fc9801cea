import {
  auditTrail,
  findTenant,
  publicKeyPem,
  rawPublicKey,
  recordVerifyOutcome,
  TenantError,
  verifyAuditChains,
  verifyInvoiceRecords,
  withAdminContext,
} from "@raseed/gateway";
import type { Command } from "commander";
import { exitTwoOnUsageErrors, runAdmin, withStoreOptions } from "./tenant.ts";

export function registerAuditCommand(program: Command): void {
  const audit = exitTwoOnUsageErrors(
    program
      .command("audit")
      .description("Inspect the gateway's hash-chained audit log: show entries, verify, public key"),
  );
  withStoreOptions(
    exitTwoOnUsageErrors(
      audit
        .command("verify")
        .description(
          "Recompute every tenant's keyed audit chain, then check every invoice against it and its seal: " +
            "an edited FBR number, payload or state, or a deleted invoice, is named by id (exit 1 if any); " +
            "tampering opens a tamper incident for the tenant, a clean run closes it",
        )
        .option("--tenant <tenant>", "only this tenant (id or NTN)"),
    ),
  ).action(async (flags: { tenant?: string; dataDir?: string; db?: string; config?: string }) =>
    runAdmin(async () => {
      await withAdminContext(flags, process.env, async (ctx) => {
        let tenantId: string | undefined;
        if (flags.tenant !== undefined) {
          const tenant = await findTenant(ctx.store.db, flags.tenant);
          if (tenant === undefined) throw new TenantError(`no tenant with id or NTN ${flags.tenant}`);
          tenantId = tenant.id;
        }
        const reports = await verifyAuditChains(ctx.store.db, tenantId, {
          chainKey: ctx.recordKeys.chainKey,
        });
        for (const report of reports) {
          if (report.ok) {
            process.stdout.write(
              `ok      ${report.tenantId} (${report.ntn}): ${report.entries} entries, chain intact\n`,
            );
          } else {
            process.stdout.write(
              `BROKEN  ${report.tenantId} (${report.ntn}): first broken link at entry ${report.firstBroken?.seq}: ${report.firstBroken?.reason}\n`,
            );
          }
        }
        const findings = await verifyInvoiceRecords(ctx.store.db, ctx.recordKeys, tenantId);
        for (const finding of findings) {
          process.stdout.write(
            `TAMPER  ${finding.tenantId} invoice ${finding.invoiceId}: ${finding.kind}: ${finding.message}\n`,
          );
        }
        if (findings.length === 0)
          process.stdout.write("ok      invoices agree with the audit log and their seals\n");
        // Tampering is an incident of its tenant (24 hours to report it); a clean run closes an open one.
        await recordVerifyOutcome(
          ctx.store.db,
          reports.map((report) => {
            const own = findings.filter((f) => f.tenantId === report.tenantId);
            return {
              tenantId: report.tenantId,
              problems: [
                ...(report.ok ? [] : [`audit chain broken at entry ${report.firstBroken?.seq}`]),
                ...own.map((f) => `invoice ${f.invoiceId}: ${f.kind}`),
              ],
              invoiceIds: own.map((f) => f.invoiceId),
            };
          }),
          { now: new Date(), actor: "cli" },
        );
        if (reports.some((r) => !r.ok) || findings.length > 0) process.exitCode = 1;
      });
    }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      audit
        .command("show")
        .description(
          "Print a tenant's audit entries (who did what, when), oldest first; --invoice for one invoice",
        )
        .requiredOption("--tenant <tenant>", "tenant id or NTN")
        .option("--invoice <id>", "only the entries about this invoice (or any other subject id)")
        .option("--limit <n>", "the latest n entries (1-10000)", "100")
        .option("--json", "print JSON (details parsed)"),
    ),
  ).action(
    async (flags: {
      tenant: string;
      invoice?: string;
      limit: string;
      json?: boolean;
      dataDir?: string;
      db?: string;
      config?: string;
    }) =>
      runAdmin(async () => {
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
          throw new TenantError(`--limit must be a whole number from 1 to 10000, got "${flags.limit}"`);
        }
        await withAdminContext(flags, process.env, async (ctx) => {
          const tenant = await findTenant(ctx.store.db, flags.tenant);
          if (tenant === undefined) throw new TenantError(`no tenant with id or NTN ${flags.tenant}`);
          const entries = await auditTrail(ctx.store.db, tenant.id, flags.invoice, limit);
          if (flags.json === true) {
            const parsed = entries.map((e) => ({
              seq: Number(e.seq),
              at: e.at,
              actor: e.actor,
              action: e.action,
              subject: e.subject,
              details: JSON.parse(e.details) as unknown,
            }));
            process.stdout.write(`${JSON.stringify(parsed, null, 2)}\n`);
            return;
          }
          for (const e of entries) {
            process.stdout.write(
              `${String(e.seq).padStart(6)}  ${e.at}  ${e.actor.padEnd(24)}  ${e.action.padEnd(28)}  ${e.subject ?? "-"}  ${e.details}\n`,
            );
          }
          if (entries.length === 0) {
            process.stdout.write(
              flags.invoice === undefined ? "no audit entries\n" : `no audit entries for ${flags.invoice}\n`,
            );
          }
        });
      }),
  );

  withStoreOptions(
    exitTwoOnUsageErrors(
      audit
        .command("public-key")
        .description(
          "Print the Ed25519 public key that checks invoice seals (PEM, key id, raw base64): give it to anyone who must verify a seal",
        ),
    ),
  ).action(async (flags: { dataDir?: string; db?: string; config?: string }) =>
    runAdmin(async () => {
      await withAdminContext(flags, process.env, async (ctx) => {
        const { sealPublicKey, sealKeyId } = ctx.recordKeys;
        process.stdout.write(`key id: ${sealKeyId}\n`);
        process.stdout.write(`raw (base64): ${rawPublicKey(sealPublicKey).toString("base64")}\n`);
        process.stdout.write(publicKeyPem(sealPublicKey));
      });
    }),
  );
}
