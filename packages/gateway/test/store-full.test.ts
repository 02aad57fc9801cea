// A full disk (issue 13): SQLite's own "database or disk is full" (simulated with the max_page_count pragma)
// and PostgreSQL's disk_full SQLSTATE 53100 (raised by a trigger). The store's real error is logged once,
// never "cannot rollback - no transaction is active"; writes answer 503 store_full; /readyz answers 503 until
// a write works again, then both recover and the recovery is logged once.
import { Writable } from "node:stream";
import { sql } from "kysely";
import { type Logger, pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type Loose, sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";

function captureLogs(): { lines: Loose[]; logger: Logger } {
  const lines: Loose[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level: "info" }, sink) };
}

async function fillTheDisk(t: TestGateway, engine: string): Promise<void> {
  const { db } = t.gateway.store;
  if (engine === "sqlite") {
    // No page may be added beyond what the file has now: SQLite answers SQLITE_FULL as on a full disk.
    const [row] = (await sql<{ page_count: number }>`PRAGMA page_count`.execute(db)).rows;
    await sql.raw(`PRAGMA max_page_count = ${Number(row?.page_count)}`).execute(db);
    return;
  }
  await sql`
    CREATE FUNCTION raseed_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
    END $$`.execute(db);
  for (const table of ["invoices", "outbox", "attempts", "store_probe"]) {
    await sql
      .raw(
        `CREATE TRIGGER raseed_test_disk_full BEFORE INSERT OR UPDATE ON ${table} ` +
          "FOR EACH ROW EXECUTE FUNCTION raseed_test_disk_full()",
      )
      .execute(db);
  }
}

async function freeTheDisk(t: TestGateway, engine: string): Promise<void> {
  const { db } = t.gateway.store;
  if (engine === "sqlite") {
    await sql.raw("PRAGMA max_page_count = 1073741823").execute(db);
    return;
  }
  await sql`DROP FUNCTION raseed_test_disk_full() CASCADE`.execute(db);
}

describe.each(engines)("a full disk on %s", (engine) => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
  });

  it("answers 503 store_full, reports the real error once, and /readyz follows the store", async () => {
    const logs = captureLogs();
    t = await startTestGateway(engine, {}, {}, { logger: logs.logger });
    expect((await t.call("GET", "/readyz", { key: "" })).status).toBe(200);
    expect((await t.call("POST", "/v1/invoices", { body: sampleInvoice() })).status).toBe(202);

    await fillTheDisk(t, engine);
    // Existing pages have some room left on SQLite: submit until one does not fit (bounded by count).
    let refused: Awaited<ReturnType<TestGateway["call"]>> | undefined;
    for (let i = 0; i < 200 && refused === undefined; i += 1) {
      const answer = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
      if (answer.status !== 202) refused = answer;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.body.error.code).toBe("store_full");
    expect(refused?.headers.get("retry-after")).toBe("30");
    for (let i = 0; i < 3; i += 1) {
      const again = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
      expect(again.status).toBe(503);
      expect(again.body.error.code).toBe("store_full");
    }
    const notReady = await t.call("GET", "/readyz", { key: "" });
    expect(notReady.status).toBe(503);
    expect(notReady.body.error.code).toBe("store_full");
    // Reads still work.
    expect((await t.call("GET", "/v1/invoices")).status).toBe(200);

    const failing = logs.lines.filter((line) => /store writes are failing/.test(line.msg));
    expect(failing).toHaveLength(1);
    expect(failing[0].msg).toMatch(
      engine === "sqlite" ? /database or disk is full/ : /No space left on device/,
    );
    expect(failing[0].code).toBe("store_full");
    expect(JSON.stringify(logs.lines)).not.toMatch(/cannot rollback|no transaction is active/);
    expect(logs.lines.filter((line) => line.level >= 50)).toHaveLength(1);

    await freeTheDisk(t, engine);
    const ready = await t.call("GET", "/readyz", { key: "" });
    expect(ready.status).toBe(200);
    expect(logs.lines.filter((line) => /store writes work again/.test(line.msg))).toHaveLength(1);
    expect((await t.call("POST", "/v1/invoices", { body: sampleInvoice() })).status).toBe(202);
  });
});
