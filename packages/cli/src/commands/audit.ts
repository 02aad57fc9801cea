import {
  findTenant,
  openAdminContext,
  publicKeyPem,
  rawPublicKey,
  recordVerifyOutcome,
  TenantError,
  verifyAuditChains,
  verifyInvoiceRecords,
} from "@raseed/gateway";
import type { Command } from "commander";
import { exitTwoOnUsageErrors, runAdmin, withStoreOptions } from "./tenant.ts";

export function registerAuditCommand(program: Command): void {
  const audit = exitTwoOnUsageErrors(
    program.command("audit").description("Inspect the gateway's hash-chained audit log"),
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
      const ctx = await openAdminContext(flags, process.env);
      try {
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
      } finally {
        await ctx.close();
      }
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
      const ctx = await openAdminContext(flags, process.env);
      try {
        const { sealPublicKey, sealKeyId } = ctx.recordKeys;
        process.stdout.write(`key id: ${sealKeyId}\n`);
        process.stdout.write(`raw (base64): ${rawPublicKey(sealPublicKey).toString("base64")}\n`);
        process.stdout.write(publicKeyPem(sealPublicKey));
      } finally {
        await ctx.close();
      }
    }),
  );
}
