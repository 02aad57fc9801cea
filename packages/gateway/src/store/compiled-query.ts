// Queries built and compiled once, then run with new values. Kysely builds a query's operation tree and
// compiles it to SQL on every execution; for the lookups every request makes (its API key, a replayed
// reference) that cost more main-thread CPU than running them (issue 11's profile: ~6% of the gateway's
// time under ingest load). The compiled text is kept per dialect adapter, so one definition serves SQLite
// and PostgreSQL, and a transaction runs the same text as its database.
import {
  type Compilable,
  CompiledQuery,
  createQueryId,
  type DialectAdapter,
  type Insertable,
  InsertQueryNode,
  type Kysely,
  PostgresAdapter,
  type Transaction,
} from "kysely";
import { prepareOnPostgres } from "./pg-named-statements.ts";
import type { Database } from "./schema.ts";
import { directReads } from "./sqlite-direct.ts";

type Executor = Kysely<Database> | Transaction<Database>;

/** Stands where a value goes in a query built by `precompiled`; replaced by the named value at each run. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * Builds the query once per dialect with a placeholder for each named value and runs the compiled text
 * with `values` filled in. Each `slots.x` must stand where Kysely takes a single value (a comparison's
 * right side, an inserted or set value); never a list (`in`), an identifier or something it inspects.
 * @example
 * const byHash = precompiled((db, slots: { hash: string }) =>
 *   db.selectFrom("api_keys").selectAll().where("key_hash", "=", slots.hash));
 * const rows = await byHash(db, { hash });
 */
export function precompiled<P extends Record<string, unknown>, R>(
  build: (db: Executor, slots: P) => Compilable<R>,
): (db: Executor, values: P) => Promise<R[]> {
  const byAdapter = new WeakMap<DialectAdapter, { query: CompiledQuery<R>; names: (string | undefined)[] }>();
  return async (db, values) => {
    const adapter = db.getExecutor().adapter;
    let compiled = byAdapter.get(adapter);
    if (compiled === undefined) {
      const slots = new Proxy({} as P, { get: (_target, name) => new Slot(String(name)) });
      const query = build(db, slots).compile();
      // Inserts only: a lookup's plan must be made for the table as it is (pg-named-statements.ts).
      if (adapter instanceof PostgresAdapter && InsertQueryNode.is(query.query)) prepareOnPostgres(query.sql);
      compiled = {
        query,
        names: query.parameters.map((parameter) => (parameter instanceof Slot ? parameter.name : undefined)),
      };
      byAdapter.set(adapter, compiled);
    }
    const { query, names } = compiled;
    const parameters = query.parameters.map((parameter, index) => {
      const name = names[index];
      return name === undefined ? parameter : values[name];
    });
    // SQLite, outside a transaction: run now on the idle connection (store/sqlite-direct.ts).
    if (!db.isTransaction && query.query.kind === "SelectQueryNode") {
      const rows = directReads.get(db)?.select<R>(query.sql, parameters);
      if (rows !== undefined) return rows;
    }
    const result = await db.executeQuery<R>({ ...query, queryId: createQueryId(), parameters });
    return result.rows;
  };
}

/** Row counts of the inserts `insertRows` compiles: a group of any size is written in at most 9 statements. */
const INSERT_SIZES = [256, 128, 64, 32, 16, 8, 4, 2, 1];
/** Compiled inserts kept per dialect adapter (tables x column lists x 9 sizes; the bound is a safety net). */
const MAX_INSERTS = 256;
const insertsByAdapter = new WeakMap<DialectAdapter, Map<string, CompiledInsert>>();

interface CompiledInsert {
  query: CompiledQuery;
  /** For each parameter: the row (within the chunk) and the column whose value it takes. */
  rowOf: number[];
  columnOf: string[];
}

type Cell = string | number | bigint | boolean | null;

/** Stands for one row's value of one column in a compiled insert. */
class CellSlot {
  constructor(
    readonly row: number,
    readonly column: string,
  ) {}
}

function isCell(value: unknown): value is Cell {
  const type = typeof value;
  return value === null || type === "string" || type === "number" || type === "bigint" || type === "boolean";
}

/**
 * Inserts `rows` into `table` with one multi-row insert per chunk, each chunk's size taken from
 * INSERT_SIZES and its statement compiled once per dialect (Kysely parses every row and compiles the whole
 * statement on each run: ~3% of the gateway's CPU under ingest load, issue 11). Rows must all set the same
 * columns to plain values; anything else is inserted by Kysely as it always was (all rows in one insert).
 */
export async function insertRows<T extends keyof Database & string>(
  db: Executor,
  table: T,
  typedRows: readonly Insertable<Database[T]>[],
): Promise<void> {
  const rows = typedRows as readonly Record<string, unknown>[];
  // The columns come from the rows at run time, so the statement is built without the schema's types.
  const untyped = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const cells = rows as Record<string, unknown>[];
  const first = rows[0];
  if (first === undefined) return;
  const columns = Object.keys(first);
  const uniform = rows.every((row) => {
    if (Object.keys(row).length !== columns.length) return false;
    for (const column of columns) if (!isCell(row[column])) return false;
    return true;
  });
  if (!uniform) {
    await untyped.insertInto(table).values(cells).execute();
    return;
  }
  const adapter = db.getExecutor().adapter;
  let compiled = insertsByAdapter.get(adapter);
  if (compiled === undefined) {
    compiled = new Map();
    insertsByAdapter.set(adapter, compiled);
  }
  const columnList = columns.join(",");
  let start = 0;
  while (start < rows.length) {
    const left = rows.length - start;
    const size = INSERT_SIZES.find((n) => n <= left) as number;
    const key = `${table}\n${columnList}\n${size}`;
    let insert = compiled.get(key);
    if (insert === undefined) {
      const chunk = Array.from({ length: size }, (_, row) =>
        Object.fromEntries(columns.map((column) => [column, new CellSlot(row, column)])),
      );
      const query = untyped.insertInto(table).values(chunk).compile();
      if (!query.parameters.every((parameter) => parameter instanceof CellSlot)) {
        throw new Error(`insertRows: ${table}'s insert has parameters that are not its rows' values`);
      }
      if (adapter instanceof PostgresAdapter) prepareOnPostgres(query.sql);
      insert = {
        query,
        rowOf: query.parameters.map((parameter) => (parameter as CellSlot).row),
        columnOf: query.parameters.map((parameter) => (parameter as CellSlot).column),
      };
      if (compiled.size >= MAX_INSERTS) compiled.clear();
      compiled.set(key, insert);
    }
    const { query, rowOf, columnOf } = insert;
    const parameters = new Array<unknown>(rowOf.length);
    for (let i = 0; i < rowOf.length; i++) {
      parameters[i] = (rows[start + (rowOf[i] as number)] as Record<string, unknown>)[columnOf[i] as string];
    }
    await db.executeQuery({ ...query, queryId: createQueryId(), parameters });
    start += size;
  }
}

/**
 * Rows per statement of `valuesStatement`: a group's rows go in chunks of these sizes, largest first, so each
 * kind has at most nine statement texts. One text per row count (1 to 256) filled the statement cache with
 * hundreds of large prepared statements and took the gateway's peak RSS with 100,000 queued from 186 to
 * 205 MB (issue 11's limit is 200).
 */
const VALUES_SIZES = INSERT_SIZES;

/**
 * A statement over rows given as values, `WITH v(columns) AS (VALUES ...) <statement reading v>`, its text
 * made once per chunk size and dialect: a group's N changes of one kind (N settlements' attempts, N claims'
 * state changes) in one statement instead of N, each of which cost the worker more CPU than the row it
 * wrote (issue 11). A column named `name:integer` is cast to integer (PostgreSQL takes the other values as
 * text); the statement reads it as `v.name`. N rows run as one statement per binary digit of N (VALUES_SIZES).
 * @example
 * const finish = valuesStatement(["id", "outcome"], "UPDATE attempts SET outcome = v.outcome FROM v WHERE attempts.id = v.id");
 * await finish(trx, [["att_1", "accepted"], ["att_2", "rejected"]]);
 */
export function valuesStatement<R = unknown>(
  columns: readonly string[],
  statement: string,
): (db: Executor, rows: readonly (readonly unknown[])[]) => Promise<R[]> {
  const names = columns.map((column) => column.split(":")[0] as string);
  const casts = columns.map((column) => column.split(":")[1]);
  const byAdapter = new WeakMap<DialectAdapter, Map<number, string>>();
  const textFor = (adapter: DialectAdapter, count: number): string => {
    let texts = byAdapter.get(adapter);
    if (texts === undefined) {
      texts = new Map();
      byAdapter.set(adapter, texts);
    }
    let text = texts.get(count);
    if (text === undefined) {
      const postgres = adapter instanceof PostgresAdapter;
      let n = 0;
      const rows = Array.from({ length: count }, () => {
        const cells = casts.map((cast) => {
          n += 1;
          const placeholder = postgres ? `$${n}` : "?";
          return cast === undefined ? placeholder : `CAST(${placeholder} AS ${cast})`;
        });
        return `(${cells.join(", ")})`;
      });
      text = `WITH v(${names.join(", ")}) AS (VALUES ${rows.join(", ")}) ${statement}`;
      texts.set(count, text);
    }
    return text;
  };
  return async (db, rows) => {
    const adapter = db.getExecutor().adapter;
    const answers: R[] = [];
    let start = 0;
    while (start < rows.length) {
      const size = VALUES_SIZES.find((n) => n <= rows.length - start) as number;
      const chunk = rows.slice(start, start + size);
      start += size;
      const parameters: unknown[] = [];
      for (const row of chunk) {
        if (row.length !== names.length)
          throw new Error(`valuesStatement: a row of ${row.length} values for ${names.length} columns`);
        for (const value of row) parameters.push(value);
      }
      const result = await db.executeQuery<R>(CompiledQuery.raw(textFor(adapter, chunk.length), parameters));
      for (const answer of result.rows) answers.push(answer);
    }
    return answers;
  };
}
