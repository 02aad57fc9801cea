// Group commit in the journal: concurrent writes share one fsync of the WAL, and `durable()` resolves only
// once the fsync that began after a write has finished. The fsync is replaced by one the test holds and
// releases, so every step is waited on, never timed. Last, the inline flush of a caller that is alone.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HeldFsync } from "../../test/held-fsync.ts";
import { SaleJournal } from "./journal.ts";

/** Whether a promise has settled, without waiting for it. */
function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  return () => done;
}

describe("SaleJournal group commit", () => {
  let dir: string;
  let held: HeldFsync;
  let journal: SaleJournal;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "raseed-journal-"));
    held = new HeldFsync();
    journal = new SaleJournal(join(dir, "journal.sqlite"), { groupFsync: true, fsync: held.fsync });
  });
  afterEach(() => {
    void journal.close(); // no checkpoint thread: closed before it returns
    rmSync(dir, { recursive: true, force: true });
  });

  it("covers every write made before an fsync began with it; writes made meanwhile share the next", async () => {
    journal.recordSale(1, "A", "{}", 1000);
    const first = journal.durable();
    expect(held.started).toBe(1);
    // Written while the first fsync runs: not covered by it.
    journal.recordSale(1, "B", "{}", 1001);
    journal.recordSale(1, "C", "{}", 1002);
    const second = journal.durable();
    const third = journal.durable();
    const secondDone = settled(second);
    expect(held.started).toBe(1);

    held.release();
    await first;
    await held.startedAtLeast(2);
    expect(secondDone()).toBe(false);
    held.release();
    await Promise.all([second, third]);
    // Three sales, two fsyncs; nothing else is owed.
    expect(held.started).toBe(2);
    await journal.durable();
    expect(held.started).toBe(2);
  });

  it("asks for no fsync when nothing was written since the last one (reads write nothing)", async () => {
    journal.recordSale(1, "A", "{}", 1000);
    const done = journal.durable();
    held.release();
    await done;
    journal.findSale(1, "A");
    journal.backlogStats();
    await journal.durable();
    expect(held.started).toBe(1);
  });

  it("rejects the writes a failed fsync covered and every later write, with no fsync it could trust, until reopened", async () => {
    journal.recordSale(1, "A", "{}", 1000);
    const failed = journal.durable();
    held.fail(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
    await expect(failed).rejects.toThrow("EIO");
    // A later fsync could report success for pages the failed one lost: none is asked for.
    await expect(journal.durable()).rejects.toMatchObject({ code: "EIO", message: /restart pos-bridge/ });
    journal.recordSale(1, "B", "{}", 1001);
    await expect(journal.durable()).rejects.toThrow(/restart pos-bridge/);
    expect(held.started).toBe(1);
    // Reads write nothing and still work.
    expect(journal.findSale(1, "B")?.usin).toBe("B");
    // Opened again (a restart), the journal takes sales and flushes them.
    await journal.close();
    journal = new SaleJournal(join(dir, "journal.sqlite"), { groupFsync: true, fsync: held.fsync });
    journal.recordSale(1, "C", "{}", 1002);
    const again = journal.durable();
    expect(held.started).toBe(2);
    held.release();
    await again;
  });

  it("flushes the real WAL file when no fsync is injected", async () => {
    const file = join(dir, "real.sqlite");
    const real = new SaleJournal(file, { groupFsync: true });
    try {
      real.recordSale(1, "A", '{"a":1}', 1000);
      await real.durable();
    } finally {
      await real.close();
    }
    const reopened = new SaleJournal(file);
    try {
      expect(reopened.findSale(1, "A")?.payload).toBe('{"a":1}');
    } finally {
      await reopened.close();
    }
  });
});

describe("SaleJournal inline flush", () => {
  let dir: string;
  let journal: SaleJournal;
  let alone = true;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "raseed-journal-"));
    journal = new SaleJournal(join(dir, "journal.sqlite"), { groupFsync: true });
    journal.flushInlineWhen(() => alone);
  });
  afterEach(() => {
    void journal.close(); // no checkpoint thread: closed before it returns
    rmSync(dir, { recursive: true, force: true });
  });

  // A flush in libuv's thread pool settles only in a later turn of the event loop; an inline one has
  // already happened when durable() returns, so its promise settles within the current microtasks.
  it("flushes on the calling thread when the caller is alone, in the thread pool when it is not", async () => {
    alone = true;
    journal.recordSale(1, "A", "{}", 1000);
    const inline = settled(journal.durable());
    await Promise.resolve();
    await Promise.resolve();
    expect(inline()).toBe(true);

    alone = false;
    journal.recordSale(1, "B", "{}", 1001);
    const pooled = journal.durable();
    const pooledDone = settled(pooled);
    await Promise.resolve();
    await Promise.resolve();
    expect(pooledDone()).toBe(false);
    await pooled;
  });
});
