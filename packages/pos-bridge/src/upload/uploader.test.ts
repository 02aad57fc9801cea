// The accept FBR answers is what the till prints: it is fsynced before the till hears of it, and if the
// journal cannot record it, its fiscal number still survives (log, attempt row, reconcile).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { inDoubtSales } from "../journal/admin.ts";
import { SaleJournal } from "../journal/journal.ts";
import { SaleUploader } from "./uploader.ts";

const FISCAL_NUMBER = "110014201120073600001";
const ACCEPTED_BODY = JSON.stringify({
  InvoiceNumber: FISCAL_NUMBER,
  Code: "100",
  Response: "Fiscal Invoice Number generated successfully.",
  Errors: null,
});

function acceptingUpstream() {
  return {
    postData: () =>
      Promise.resolve({
        kind: "accepted" as const,
        invoiceNumber: FISCAL_NUMBER,
        itemNumbers: [],
        exchange: {
          url: "http://127.0.0.1/",
          requestBody: "{}",
          status: 200,
          responseBody: ACCEPTED_BODY,
          durationMs: 5,
        },
      }),
  };
}

describe("settling FBR's accept", () => {
  let dir: string;
  let journal: SaleJournal;
  const lines: { message: string; object: object }[] = [];
  const logger = {
    info: () => {},
    warn: () => {},
    error: (object: object, message: string) => lines.push({ object, message }),
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "raseed-upload-"));
    journal = new SaleJournal(join(dir, "journal.sqlite"));
    lines.length = 0;
  });
  afterEach(() => {
    vi.restoreAllMocks();
    void journal.close(); // no checkpoint thread: closed before it returns
    rmSync(dir, { recursive: true, force: true });
  });

  function uploader(): SaleUploader {
    return new SaleUploader({
      journal,
      upstreamFor: () => acceptingUpstream(),
      activePosIds: () => [110014],
      logger,
    });
  }

  it("commits the accept with its own fsync (synchronous stays FULL) before answering", async () => {
    const { sale } = journal.recordSale(110014, "U-SYNC", "{}", 1000);
    // Spying calls through: the journal still sets its pragmas, the test just sees them.
    const pragma = vi.spyOn(Database.prototype, "pragma");
    const result = await uploader().uploadSale(sale);
    expect(result).toEqual({ kind: "accepted", fbrInvoiceNumber: FISCAL_NUMBER });
    // Lowering synchronous to NORMAL around the commit is what skipped the fsync.
    expect(
      pragma.mock.calls.map(([source]) => source).filter((source) => /synchronous/i.test(source)),
    ).toEqual([]);
    expect(journal.getSale(sale.id)).toMatchObject({ state: "accepted", fbrInvoiceNumber: FISCAL_NUMBER });
  });

  it("keeps the fiscal number when the journal cannot settle the accept: logged, on the attempt, in reconcile", async () => {
    const { sale } = journal.recordSale(110014, "U-LOST", "{}", 1000);
    vi.spyOn(journal, "settleAccepted").mockImplementation(() => {
      throw new Error("SQLITE_FULL: database or disk is full");
    });
    const result = await uploader().uploadSale(sale);
    expect(result).toEqual({ kind: "provisional", outcome: "in_doubt" });
    expect(lines.some((line) => line.message.includes(FISCAL_NUMBER))).toBe(true);
    expect(lines[0]?.object).toMatchObject({ fbrInvoiceNumber: FISCAL_NUMBER });
    // The next start finds the sale "uploading": in doubt, and reconcile shows the number FBR gave.
    journal.recoverAfterRestart(2000);
    expect(inDoubtSales(journal)).toMatchObject([{ usin: "U-LOST", fiscalNumberInAttempts: FISCAL_NUMBER }]);
  });
});
