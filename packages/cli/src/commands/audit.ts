import { findTenant, openAdminContext, TenantError, verifyAuditChains } from "@raseed/gateway";
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
          "Recompute every tenant's audit hash chain and report the first broken link (exit 1 if any)",
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
        const reports = await verifyAuditChains(ctx.store.db, tenantId);
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
        if (reports.some((r) => !r.ok)) process.exitCode = 1;
      } finally {
        await ctx.close();
      }
    }),
  );
}
