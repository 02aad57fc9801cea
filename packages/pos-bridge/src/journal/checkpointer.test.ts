// WAL checkpoints in a worker thread (checkpointer.ts): while the journal writes, the thread copies the WAL
// back into the database, so the commits themselves never reach SQLite's own checkpoint threshold. Waited on
// through the thread's reports, never timed.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
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
      await journal.close();
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

  it("resolves its close only when the thread's connection is closed too: the folder holds the database alone", async () => {
    const file = join(dir, "journal.sqlite");
    const journal = new SaleJournal(file, {
      groupFsync: true,
      backgroundCheckpoints: { intervalMs: 1, idleIntervalMs: 1 },
    });
    // Large sales, so the thread is most likely copying pages when the close comes and finishes that first.
    const payload = JSON.stringify({ items: "x".repeat(200_000) });
    for (let index = 0; index < 50; index++) {
      journal.recordAndClaim(1, `U${index}`, payload, 1000, true);
      await journal.durable();
    }
    await journal.close();
    // The last connection to close checkpoints and removes the WAL and its index. Had the thread's
    // connection outlived the promise, they would still be there (and a removal of the folder could race it:
    // the CI flake of bridge.test.ts, ENOTEMPTY).
    expect(readdirSync(dir)).toEqual(["journal.sqlite"]);
  });
});
