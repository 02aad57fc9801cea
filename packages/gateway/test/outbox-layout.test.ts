// The worker's layout holds (issue 13): FBR clients are made in one place (outbox/dispatch.ts
// createFbrClient), the worker's files (outbox/) run no SQL of their own outside outbox/outbox-sql.ts, and
// nothing outside it touches the outbox table.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("../src/", import.meta.url).pathname;

function sources(dir = root): { path: string; text: string }[] {
  const found: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...sources(path));
    else if (name.endsWith(".ts"))
      found.push({ path: path.slice(root.length), text: readFileSync(path, "utf8") });
  }
  return found;
}

describe("the outbox worker's layout", () => {
  it("makes FBR clients only in outbox/dispatch.ts", () => {
    const makers = sources()
      .filter((f) => /new (DiClient|ImsClient)\(/.test(f.text))
      .map((f) => f.path);
    expect(makers).toEqual(["outbox/dispatch.ts"]);
  });

  it("keeps the worker's SQL in outbox/outbox-sql.ts", () => {
    const query = /\.(selectFrom|updateTable|deleteFrom|insertInto)\(|\bsql`/;
    const offenders = sources(join(root, "outbox"))
      .filter((f) => !f.path.endsWith("outbox-sql.ts") && query.test(f.text))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it("touches the outbox table only from outbox/outbox-sql.ts", () => {
    const outbox =
      /(selectFrom|updateTable|deleteFrom|insertInto)\("outbox"\)|\b(UPDATE|FROM|INTO)\s+outbox\b/i;
    const offenders = sources()
      .filter((f) => !f.path.endsWith("outbox/outbox-sql.ts") && outbox.test(f.text))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });
});
