// Flat queries: with 10,000 and with 1,000,000 invoices stored (1,000 and 10,000 with --quick), the gateway
// (its own process) answers the first page of GET /v1/invoices, a page 9,000 rows deep by cursor, a look-up
// by ERP reference, and the dashboard's search (/invoices?q=) by ERP reference, FBR number and buyer NTN.
// Each is timed by wrk (4 connections) and compared across the two sizes: flat means index-backed. The
// SQLite query plans of the searches are printed (EXPLAIN QUERY PLAN, from a read-only connection). The
// gateway process's peak RSS with the larger store is the stored-invoices memory figure; both gateways are
// `raseed serve` as an installed gateway runs it (the build, no tsx: harness/store.ts startInstalledGateway).

import { type Database as GatewayDatabase, type InvoiceSearch, searchInvoices } from "@raseed/gateway";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { SELLER } from "./harness/invoices.ts";
import type { BenchServer } from "./harness/proc.ts";
import type { BenchContext } from "./harness/results.ts";
import { type PreparedStore, prepareStore, startInstalledGateway } from "./harness/store.ts";
import { load } from "./harness/wrk.ts";

const DEPTH = 9_000;

interface Query {
  name: string;
  path: (size: number, deepCursor: string) => string;
  /** The dashboard's pages need a signed-in person; the API needs the key. */
  dashboard?: boolean;
  /** The searchInvoices arguments behind it, for the plan. */
  search?: (size: number) => InvoiceSearch;
}

const queries: Query[] = [
  { name: "API first page", path: () => "/v1/invoices?limit=50" },
  {
    name: `API page ${DEPTH.toLocaleString("en")} rows deep by cursor`,
    path: (_, cursor) => `/v1/invoices?limit=50&cursor=${cursor}`,
  },
  {
    name: "API by ERP reference",
    path: (size) => `/v1/invoices?externalRef=ERP-${Math.floor(size / 3)}`,
    search: (size) => ({ externalRef: `ERP-${Math.floor(size / 3)}`, limit: 50 }),
  },
  {
    name: "dashboard search by ERP reference",
    dashboard: true,
    path: (size) => `/invoices?q=ERP-${Math.floor(size / 3)}`,
    search: (size) => ({ q: `ERP-${Math.floor(size / 3)}`, limit: 50 }),
  },
  {
    name: "dashboard search by FBR number",
    dashboard: true,
    path: (size) => `/invoices?q=${fbrNumber(Math.floor(size / 2))}`,
    search: (size) => ({ q: fbrNumber(Math.floor(size / 2)), limit: 50 }),
  },
  {
    name: "dashboard search by buyer NTN",
    dashboard: true,
    path: (size) => `/invoices?q=${1_000_000 + Math.floor(size / 4)}`,
    search: (size) => ({ q: String(1_000_000 + Math.floor(size / 4)), limit: 50 }),
  },
];

function fbrNumber(n: number): string {
  return `${SELLER.ntn}DI${String(n).padStart(13, "0")}`;
}

/** Signs the prepared user in through the login form; answers the session cookie. */
async function signIn(url: string, prepared: PreparedStore): Promise<string> {
  const form = await fetch(`${url}/login`);
  const html = await form.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const cookie = form.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  if (token === undefined) throw new Error("bench: no sign-in form");
  const response = await fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: new URLSearchParams({ _csrf: token, email: prepared.user.email, password: prepared.user.password }),
  });
  const session = response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  if (response.status !== 303 || session === "")
    throw new Error(`bench: sign-in answered ${response.status}`);
  return session;
}

async function deepCursor(url: string, key: string): Promise<string> {
  let cursor: string | null = null;
  for (let page = 0; page < DEPTH / 500; page++) {
    const response = await fetch(
      `${url}/v1/invoices?limit=500${cursor === null ? "" : `&cursor=${cursor}`}`,
      {
        headers: { authorization: `Bearer ${key}` },
      },
    );
    const body = (await response.json()) as { nextCursor: string | null };
    if (body.nextCursor === null) break;
    cursor = body.nextCursor;
  }
  if (cursor === null) throw new Error("bench: the store has fewer rows than the deep page needs");
  return cursor;
}

/** EXPLAIN QUERY PLAN of the SQL searchInvoices sends for `search`, on a read-only connection. */
async function plan(file: string, tenantId: string, search: InvoiceSearch): Promise<string> {
  const database = new SqliteDatabase(file, { readonly: true });
  let compiled: { sql: string; parameters: readonly unknown[] } | undefined;
  const db = new Kysely<GatewayDatabase>({
    dialect: new SqliteDialect({ database }),
    log: (event) => {
      compiled ??= event.query;
    },
  });
  try {
    await searchInvoices(db, tenantId, search);
    if (compiled === undefined) return "(no query)";
    const rows = database.prepare(`EXPLAIN QUERY PLAN ${compiled.sql}`).all(...compiled.parameters) as {
      detail: string;
    }[];
    return rows.map((row) => row.detail).join("; ");
  } finally {
    await db.destroy();
  }
}

interface Sized {
  size: number;
  prepared: PreparedStore;
  gateway: BenchServer<{ url: string }>;
  session: string;
  cursor: string;
}

async function startSized(size: number): Promise<Sized> {
  const started = performance.now();
  const prepared = await prepareStore({
    prefill: size,
    state: "accepted",
    progress: (done) =>
      console.log(`    stored ${done.toLocaleString("en")} of ${size.toLocaleString("en")}`),
  });
  console.log(
    `  ${size.toLocaleString("en")} invoices stored in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  const gateway = await startInstalledGateway(prepared, { fbrUrl: "http://127.0.0.1:9" });
  try {
    const session = await signIn(gateway.info.url, prepared);
    const cursor = await deepCursor(gateway.info.url, prepared.key);
    return { size, prepared, gateway, session, cursor };
  } catch (error) {
    await gateway.stop();
    throw error;
  }
}

/** Mean latency of `query` against one gateway, the best of `rounds` short wrk runs. */
async function latency(context: BenchContext, sized: Sized, query: Query): Promise<number> {
  const result = await load({
    url: `${sized.gateway.info.url}${query.path(sized.size, sized.cursor)}`,
    connections: 4,
    seconds: context.quick ? 1 : 3,
    ...(query.dashboard === true
      ? { cookie: sized.session }
      : { authorization: `Bearer ${sized.prepared.key}` }),
  });
  if (result.errors > 0 || result.requests === 0) throw new Error(`bench: ${query.name} failed`);
  return result.meanMs;
}

export default async function queriesBench(context: BenchContext): Promise<void> {
  const [smallSize, largeSize] = context.quick ? [1_000, 10_000] : [10_000, 1_000_000];
  // Both stores are served at once and each query is timed on them in turn, twice (the best of each
  // kept), so a change in the machine's load hits both sizes alike.
  const small = await startSized(smallSize);
  try {
    const large = await startSized(largeSize);
    try {
      for (const query of queries) {
        let smallMs = Number.POSITIVE_INFINITY;
        let largeMs = Number.POSITIVE_INFINITY;
        for (let round = 0; round < 2; round++) {
          smallMs = Math.min(smallMs, await latency(context, small, query));
          largeMs = Math.min(largeMs, await latency(context, large, query));
        }
        const ratio = largeMs / smallMs;
        context.results.add({
          key: `queries.${query.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`,
          label: `${query.name}: mean ${largeMs.toFixed(2)} ms at ${largeSize.toLocaleString("en")} stored / ${smallMs.toFixed(2)} ms at ${smallSize.toLocaleString("en")}`,
          value: ratio,
          unit: "x",
          goal: "<= 2",
          met: ratio <= 2,
        });
        if (query.search !== undefined) {
          console.log(
            `      plan: ${await plan(large.prepared.db, large.prepared.tenantId, query.search(largeSize))}`,
          );
        }
      }
      const peak = large.gateway.peakRss() / 1024 / 1024;
      context.results.add({
        key: "memory.stored",
        label: `gateway process peak RSS with ${largeSize.toLocaleString("en")} invoices stored (after these queries)`,
        value: peak,
        unit: "MB",
        goal: "< 250",
        met: peak < 250,
      });
    } finally {
      await large.gateway.stop();
    }
  } finally {
    await small.gateway.stop();
  }
}
