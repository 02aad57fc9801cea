import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SaleJournal } from "./journal.ts";

describe("SaleJournal", () => {
  let dir: string;
  let journal: SaleJournal;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "raseed-journal-"));
    journal = new SaleJournal(join(dir, "journal.sqlite"));
  });
  afterEach(() => {
    void journal.close(); // no checkpoint thread: closed before it returns
    rmSync(dir, { recursive: true, force: true });
  });

  it("records a USIN once per POSID; the same USIN on another till is another sale", () => {
    const first = journal.recordSale(110014, "U1", '{"a":1}', 1000);
    const again = journal.recordSale(110014, "U1", '{"a":2}', 2000);
    const otherTill = journal.recordSale(110015, "U1", '{"a":1}', 3000);
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.sale.id).toBe(first.sale.id);
    // The first payload stays: a repeated USIN never replaces what will be uploaded.
    expect(again.sale.payload).toBe('{"a":1}');
    expect(otherTill.created).toBe(true);
    expect(journal.findSalesByUsin("U1").map((sale) => sale.posId)).toEqual([110014, 110015]);
  });

  it("lets only one uploader claim a pending sale", () => {
    const { sale } = journal.recordSale(1, "U1", "{}", 1000);
    expect(journal.claimForUpload(sale.id, 1001)).toBeTypeOf("number");
    expect(journal.claimForUpload(sale.id, 1002)).toBeUndefined();
    expect(journal.getSale(sale.id)?.state).toBe("uploading");
    expect(journal.getSale(sale.id)?.attempts).toBe(1);
  });

  it("settles accepted, retries with a due time, and reports the backlog", () => {
    const a = journal.recordSale(1, "A", "{}", 1000).sale;
    const b = journal.recordSale(1, "B", "{}", 2000).sale;
    const attemptA = journal.claimForUpload(a.id, 3000) as number;
    journal.settleAccepted(a.id, attemptA, "FBR-1", { outcome: "accepted", httpStatus: 200 }, 3100);
    const attemptB = journal.claimForUpload(b.id, 3000) as number;
    journal.scheduleRetry(b.id, attemptB, 9000, { outcome: "not_sent", reason: "ECONNREFUSED" }, 3100);

    expect(journal.getSale(a.id)).toMatchObject({
      state: "accepted",
      fbrInvoiceNumber: "FBR-1",
      settledAt: 3100,
    });
    expect(journal.dueSales(8999, 10, [1])).toEqual([]);
    expect(journal.dueSales(9000, 10, [1]).map((sale) => sale.usin)).toEqual(["B"]);
    expect(journal.backlogStats()).toMatchObject({ oldestUnsettledAt: 2000 });
    expect(journal.backlogStats().byState).toMatchObject({ accepted: 1, pending: 1 });
    // Another till's sales are not this bridge's to upload when it has no credentials for them.
    journal.recordSale(2, "C", "{}", 500);
    expect(journal.dueSales(9000, 10, [1]).map((sale) => sale.usin)).toEqual(["B"]);
    expect(journal.orphanedSales([1])).toBe(1);
    expect(journal.makePendingDueNow(1, 4000)).toBe(1);
    expect(journal.nextDueAt([1])).toBe(4000);
  });

  it("turns a sale caught mid-upload by a restart into in doubt, and releases held sales", () => {
    const a = journal.recordSale(1, "A", "{}", 1000).sale;
    const b = journal.recordSale(1, "B", "{}", 1000).sale;
    journal.claimForUpload(a.id, 1100);
    const attemptB = journal.claimForUpload(b.id, 1100) as number;
    journal.hold(b.id, attemptB, { outcome: "unauthorised" }, 1200);

    void journal.close(); // no checkpoint thread: closed before it returns
    journal = new SaleJournal(join(dir, "journal.sqlite"));
    expect(journal.recoverAfterRestart(5000)).toEqual({ inDoubt: 1, released: 1 });
    expect(journal.getSale(a.id)?.state).toBe("in_doubt");
    expect(journal.getSale(b.id)).toMatchObject({ state: "pending", nextAttemptAt: 5000 });
    // In doubt is never due on its own.
    expect(journal.dueSales(10_000, 10, [1]).map((sale) => sale.usin)).toEqual(["B"]);
  });

  it("recovers by the sdk's nextStepAfterCrash: uploading with no attempt recorded was never sent", () => {
    const sent = journal.recordSale(1, "SENT", "{}", 1000).sale;
    journal.claimForUpload(sent.id, 1100);
    const unsent = journal.recordSale(1, "UNSENT", "{}", 1000).sale;
    void journal.close(); // no checkpoint thread: closed before it returns
    // A sale marked uploading whose attempt row never made it: nothing can have been written to FBR.
    const raw = new Database(join(dir, "journal.sqlite"));
    raw.prepare("UPDATE sales SET state = 'uploading' WHERE id = ?").run(unsent.id);
    raw.close();
    journal = new SaleJournal(join(dir, "journal.sqlite"));
    expect(journal.recoverAfterRestart(5000)).toEqual({ inDoubt: 1, released: 0 });
    expect(journal.getSale(sent.id)).toMatchObject({
      state: "in_doubt",
      lastReason: expect.stringContaining("may have reached FBR"),
    });
    expect(journal.getSale(unsent.id)).toMatchObject({ state: "pending", nextAttemptAt: 5000 });
    expect(journal.backlogStats()).toMatchObject({ oldestUnsettledAt: 1000, oldestInDoubtAt: 1000 });
  });

  it("reconciles in-doubt sales only: record FBR's number, or queue again", () => {
    const a = journal.recordSale(1, "A", "{}", 1000).sale;
    const b = journal.recordSale(1, "B", "{}", 1000).sale;
    for (const sale of [a, b]) {
      const attempt = journal.claimForUpload(sale.id, 1100) as number;
      journal.markInDoubt(sale.id, attempt, { outcome: "in_doubt", reason: "timeout" }, 1200);
    }
    expect(journal.resolveAsAccepted(1, "A", "FBR-A", 2000)).toBe(true);
    expect(journal.resolveAsAccepted(1, "A", "FBR-X", 2001)).toBe(false);
    expect(journal.requeue(1, "B", 2000)).toBe(true);
    expect(journal.getSale(a.id)).toMatchObject({ state: "accepted", fbrInvoiceNumber: "FBR-A" });
    expect(journal.getSale(b.id)?.state).toBe("pending");
    expect(journal.attemptCount(a.id)).toBe(1);
  });
});
