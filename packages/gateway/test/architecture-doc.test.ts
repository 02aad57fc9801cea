// docs/architecture.md shows the invoice state-transition table; this test renders it from the code
// (INVOICE_TRANSITIONS) and fails when the two differ, printing the block to paste.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { INVOICE_TRANSITIONS } from "../src/invoices/lifecycle.ts";

const BEGIN =
  "<!-- transitions:begin (generated from INVOICE_TRANSITIONS; test/architecture-doc.test.ts) -->";
const END = "<!-- transitions:end -->";

function renderTransitionTable(): string {
  const code = (states: readonly string[]): string => states.map((s) => `\`${s}\``).join(", ");
  const rows = INVOICE_TRANSITIONS.map((t) => `| ${t.event} | ${code(t.from)} | ${code(t.to)} | ${t.why} |`);
  return ["| event | from | to | why |", "|---|---|---|---|", ...rows].join("\n");
}

describe("docs/architecture.md", () => {
  it("shows the state-transition table exactly as the code has it", () => {
    const doc = readFileSync(new URL("../../../docs/architecture.md", import.meta.url), "utf8");
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(start, `docs/architecture.md lacks the marker ${BEGIN}`).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const shown = doc.slice(start + BEGIN.length, end).trim();
    expect(shown, `replace the table in docs/architecture.md with:\n${renderTransitionTable()}`).toBe(
      renderTransitionTable(),
    );
  });
});
