import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcileSale } from "./admin.ts";
import { SaleJournal } from "./journal.ts";

describe("reconcileSale --fbr-number", () => {
  let dir: string;
  let journal: SaleJournal;
  const inDoubt = (usin: string): void => {
    const { sale } = journal.recordSale(110014, usin, "{}", 1000);
    const attempt = journal.claimForUpload(sale.id, 1100) as number;
    journal.markInDoubt(sale.id, attempt, { outcome: "in_doubt", reason: "timeout" }, 1200);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "raseed-reconcile-"));
    journal = new SaleJournal(join(dir, "journal.sqlite"));
  });
  afterEach(() => {
    void journal.close(); // no checkpoint thread: closed before it returns
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ["garbage"],
    ["Not Available"],
    ["12345"],
    // A DI number is the other channel's.
    ["7000007DI1747119701593"],
    ["1100142025010112345612345678901"],
  ])("refuses %s and leaves the sale in doubt", (number) => {
    inDoubt("U-1");
    const result = reconcileSale(
      journal,
      "U-1",
      undefined,
      { kind: "fbrNumber", fbrInvoiceNumber: number },
      2000,
    );
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringContaining("is not an IMS fiscal number"),
    });
    expect(journal.findSale(110014, "U-1")?.state).toBe("in_doubt");
  });

  it("records a number of FBR's shape, and refuses the same number for a second sale", () => {
    inDoubt("U-1");
    inDoubt("U-2");
    for (const number of ["9000052011142444901", "110014-010125120000-0001"]) {
      expect(journal.findSaleByFiscalNumber(number)).toBeUndefined();
    }
    const first = reconcileSale(
      journal,
      "U-1",
      undefined,
      { kind: "fbrNumber", fbrInvoiceNumber: "9000052011142444901" },
      2000,
    );
    expect(first).toMatchObject({
      ok: true,
      sale: { state: "accepted", fbrInvoiceNumber: "9000052011142444901" },
    });
    const second = reconcileSale(
      journal,
      "U-2",
      undefined,
      { kind: "fbrNumber", fbrInvoiceNumber: "9000052011142444901" },
      2001,
    );
    expect(second).toMatchObject({
      ok: false,
      reason: expect.stringContaining("already belongs to USIN U-1"),
    });
    expect(journal.findSale(110014, "U-2")?.state).toBe("in_doubt");
    const sro = reconcileSale(
      journal,
      "U-2",
      undefined,
      { kind: "fbrNumber", fbrInvoiceNumber: "110014-010125120000-0001" },
      2002,
    );
    expect(sro.ok).toBe(true);
  });
});
