// Baseline 2: the bare route plus one SQLite insert committed per request with the gateway's own pragmas
// (WAL, synchronous FULL): what durability costs when nothing is grouped.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import Fastify from "fastify";
import { ready } from "../harness/proc.ts";

const dir = mkdtempSync(join(tmpdir(), "raseed-bench-commit-"));
const database = new SqliteDatabase(join(dir, "baseline.db"));
database.pragma("journal_mode = WAL");
database.pragma("synchronous = FULL");
database.exec("create table invoices (id text primary key, payload text not null)");
const insert = database.prepare("insert into invoices (id, payload) values (?, ?)");
const app = Fastify({ bodyLimit: 1_048_576 });
app.post("/ingest", async (request, reply) => {
  insert.run(randomBytes(12).toString("hex"), JSON.stringify(request.body));
  return reply.status(202).send({ ok: true });
});
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
const port = typeof address === "object" && address !== null ? address.port : 0;
ready({ url: `http://127.0.0.1:${port}/ingest` }, async () => {
  await app.close();
  database.close();
  rmSync(dir, { recursive: true, force: true });
});
