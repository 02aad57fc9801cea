import { readFileSync } from "node:fs";
import { ArchiveError, exportArchive, openAdminContext, requireTenant, verifyArchive } from "@raseed/gateway";
import type { Command } from "commander";
import { exitTwoOnUsageErrors, runAdmin, withStoreOptions } from "./tenant.ts";

interface ExportFlags {
  tenant: string;
  from: string;
  to: string;
  out: string;
  format: string;
  dataDir?: string;
  db?: string;
  config?: string;
}

export function registerArchiveCommand(program: Command): void {
  const archive = exitTwoOnUsageErrors(
    program
      .command("archive")
      .description(
        "The 6-year records archive (Sales Tax Act s.24): export a period to one signed file, verify it",
      ),
  );
  withStoreOptions(
    exitTwoOnUsageErrors(
      archive
        .command("export")
        .description(
          "Write one self-contained, signed file with every invoice of the period (by invoice date, Pakistan " +
            "time, both ends inclusive): the exact bytes sent to and received from FBR, seals, cancellations, " +
            "audit entries, and a manifest with a SHA-256 per entry",
        )
        .requiredOption("--tenant <tenant>", "tenant id or NTN")
        .requiredOption("--from <date>", "first invoice date, YYYY-MM-DD")
        .requiredOption("--to <date>", "last invoice date, YYYY-MM-DD")
        .requiredOption("--out <file>", "the archive file to write (must not exist)")
        .option(
          "--format <format>",
          "json, or xml to add an XML rendering of each invoice for archive systems (FBR takes JSON)",
          "json",
        ),
    ),
  ).action(async (flags: ExportFlags) =>
    runAdmin(async () => {
      if (flags.format !== "json" && flags.format !== "xml") {
        process.stderr.write(`raseed: --format must be json or xml, not ${flags.format}\n`);
        process.exitCode = 2;
        return;
      }
      const ctx = await openAdminContext(flags, process.env);
      try {
        const tenant = await requireTenant(ctx.store.db, flags.tenant);
        const result = await exportArchive(ctx.store.db, ctx.recordKeys, tenant, {
          from: flags.from,
          to: flags.to,
          out: flags.out,
          format: flags.format,
          onProgress: (n) => process.stderr.write(`\r${n} invoices written`),
        });
        process.stderr.write("\n");
        process.stdout.write(
          `${result.file}: ${result.invoices} invoices, ${result.entries} entries, ${result.bytes} bytes, signed by key ${ctx.recordKeys.sealKeyId}\n`,
        );
      } catch (error) {
        if (!(error instanceof ArchiveError)) throw error;
        process.stderr.write(`raseed: ${error.message}\n`);
        process.exitCode = 2;
      } finally {
        await ctx.close();
      }
    }),
  );

  exitTwoOnUsageErrors(
    archive
      .command("verify")
      .description(
        "Check an archive with no database: exit 0 intact, 1 with each entry that does not match named, 2 unreadable",
      )
      .argument("<file>", "the archive file")
      .option("--public-key <file>", "PEM of the expected signer (`raseed audit public-key`)"),
  ).action(async (file: string, flags: { publicKey?: string }) => {
    try {
      const publicKeyPem = flags.publicKey !== undefined ? readFileSync(flags.publicKey, "utf8") : undefined;
      const verdict = await verifyArchive(file, publicKeyPem !== undefined ? { publicKeyPem } : {});
      if (verdict.status === "unreadable") {
        process.stderr.write(`raseed: ${file}: unreadable: ${verdict.reason}\n`);
        process.exitCode = 2;
        return;
      }
      const { manifest } = verdict;
      const about = `${manifest.tenant.ntn} ${manifest.period.from}..${manifest.period.to}, ${manifest.invoices} invoices, key ${manifest.keyId}`;
      if (verdict.status === "intact") {
        process.stdout.write(
          `intact  ${file}: ${about}; ${verdict.entries} entries, ${verdict.seals} seals, ${verdict.auditEntries} audit entries match\n`,
        );
        return;
      }
      for (const finding of verdict.findings)
        process.stdout.write(`DAMAGED ${finding.entry}: ${finding.problem}\n`);
      process.stdout.write(`${verdict.findings.length} problem(s) in ${file} (${about})\n`);
      process.exitCode = 1;
    } catch (error) {
      process.stderr.write(`raseed: ${(error as Error).message}\n`);
      process.exitCode = 2;
    }
  });
}
