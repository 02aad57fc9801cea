// Named prepared statements on PostgreSQL (issue 11). Kysely's pg driver sends every query unnamed, so
// PostgreSQL parses, analyses and plans each execution afresh, and the client sends the whole SQL text each
// time (a group's multi-row inserts run to kilobytes). The inserts the gateway compiles once
// (compiled-query.ts) and the group's audit statement register their texts here; a pool client sends a
// registered text under a name: the first execution on a connection prepares it (Parse), later ones only
// bind and execute. Any other text goes out unnamed, as before.
//
// Only statements whose plan cannot depend on a growing table's size are registered (the audit statement's
// one lookup is a tenant by primary key; tenants grow by administration, not by traffic): after five runs PostgreSQL
// may keep one generic plan for a named statement, made for the table as it was then, until the table is
// next analysed; a lookup prepared while a fresh table was small could keep scanning it whole as it grows.
// (`plan_cache_mode = force_custom_plan` would avoid that, but cost PostgreSQL more per lookup than an
// unnamed statement, measured.)
//
// Names are per connection and live as long as it: the registry is bounded, so a process prepares at most
// MAX_NAMED statements on each connection.
import type pg from "pg";

const MAX_NAMED = 500;
const names = new Map<string, string>();

/** Runs `sql` as a named prepared statement on PostgreSQL from now on (a no-op past the bound). */
export function prepareOnPostgres(sql: string): void {
  if (names.has(sql) || names.size >= MAX_NAMED) return;
  names.set(sql, `raseed_${names.size + 1}`);
}

/** The name `sql` runs under, if registered. */
export function statementName(sql: string): string | undefined {
  return names.get(sql);
}

/**
 * pg's Client, sending registered texts under their names: Kysely calls `query(text, values)`, and a named
 * query config makes pg Parse the text once per connection.
 */
export function namedStatementClient(base: typeof pg.Client): typeof pg.Client {
  return class NamedStatementClient extends base {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query has a dozen overloads; this one forwards them all.
    override query(config: any, values?: any, callback?: any): any {
      const query = super.query as (this: pg.Client, ...args: unknown[]) => unknown;
      if (typeof config === "string" && Array.isArray(values)) {
        const name = names.get(config);
        if (name !== undefined) return query.call(this, { name, text: config }, values, callback);
      }
      return query.call(this, config, values, callback);
    }
  } as typeof pg.Client;
}
