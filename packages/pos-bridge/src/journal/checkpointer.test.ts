// WAL checkpoints in a worker thread (checkpointer.ts): while the journal writes, the thread copies the WAL
// back into the database, so the commits themselves never reach SQLite's own checkpoint threshold. Waited on
// through the thread's reports, never timed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SaleJournal } from "./journal.ts";

describe("SaleJournal background checkpoints", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "raseed-checkpoint-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("copies the WAL into the database from the thread while sales are written; the data is all there", async () => {
    const file = join(dir, "journal.sqlite");
    const reports: { log: number; checkpointed: number }[] = [];
    let copiedAll: (() => void) | undefined;
    const journal = new SaleJournal(file, {
      groupFsync: true,
      backgroundCheckpoints: {
        intervalMs: 1,
        idleIntervalMs: 1,
        onCheckpoint: (result) => {
          reports.push(result);
          if (result.log > 0 && result.checkpointed === result.log) copiedAll?.();
        },
      },
    });
    const everythingCopied = new Promise<void>((resolve) => {
      copiedAll = resolve;
    });
    try {
      for (let index = 0; index < 200; index++) {
        const { sale, attemptId } = journal.recordAndClaim(1, `U${index}`, "{}", 1000, true);
        await journal.durable();
        journal.settleAccepted(sale.id, attemptId as number, `FBR-${index}`, { outcome: "accepted" }, 1001);
        await journal.durable();
      }
      await everythingCopied;
      expect(reports.some((report) => report.checkpointed > 0)).toBe(true);
    } finally {
      journal.close();
    }
    const reader = new Database(file, { readonly: true });
    try {
      const row = reader.prepare("SELECT COUNT(*) AS n FROM sales WHERE state = 'accepted'").get() as {
        n: number;
      };
      expect(row.n).toBe(200);
    } finally {
      reader.close();
    }
  });
});
