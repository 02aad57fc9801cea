// Turning untrusted FBR JSON into typed values, with every problem reported as path + message.
import type { z } from "zod";

/** One reason a value does not match a wire schema. `path` is like "validationResponse.invoiceStatuses[0].statusCode". */
export interface WireIssue {
  path: string;
  message: string;
}

export type WireResult<T> = { ok: true; value: T } | { ok: false; issues: WireIssue[] };

/** Formats a zod path as `items[2].rate`; the root is "" . */
export function formatWirePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const key = String(segment);
      // Keys such as FBR's "status code" are not identifiers; quote them so the path stays readable.
      out += /^[A-Za-z_$][\w$]*$/.test(key) ? (out === "" ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/**
 * Parses `value` with a wire schema. Never throws: a mismatch returns every issue at once.
 * @example
 * const parsed = parseWire(diResponseSchema, JSON.parse(body));
 * if (!parsed.ok) console.error(formatWireIssues(parsed.issues));
 */
export function parseWire<T>(schema: z.ZodType<T>, value: unknown): WireResult<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      path: formatWirePath(issue.path),
      message: issue.message,
    })),
  };
}

/** One line per issue: `items[0].quantity: expected a number ...`; the root is written as "(root)". */
export function formatWireIssues(issues: readonly WireIssue[]): string {
  return issues.map((issue) => `${issue.path === "" ? "(root)" : issue.path}: ${issue.message}`).join("\n");
}

/**
 * JSON.parse for FBR replies. Two integrators saw trailing commas in FBR bodies, IMS sends fiscal numbers
 * as 20-digit JSON numbers (beyond 2^53, so JSON.parse silently changes them), and the WSO2 gateway
 * sometimes answers with an HTML page. This parser drops trailing commas, keeps integers that JSON.parse
 * cannot hold exactly as strings (the lenient schemas turn them back into numbers where a number is
 * wanted), and says plainly when the body is HTML or not JSON at all.
 */
export function parseFbrJson(text: string): WireResult<unknown> {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, issues: [{ path: "", message: "the body is empty, not JSON" }] };
  if (trimmed.startsWith("<")) {
    return {
      ok: false,
      issues: [{ path: "", message: "the body is an HTML or XML page (a gateway error page?), not JSON" }],
    };
  }
  // Fast path: most bodies need no repair, and the repair walks every character.
  const needsRepair = /,\s*[}\]]/.test(trimmed) || /\d{16,}/.test(trimmed);
  const repaired = needsRepair ? repairFbrJson(trimmed) : trimmed;
  try {
    return { ok: true, value: JSON.parse(repaired) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, issues: [{ path: "", message: `the body is not valid JSON: ${reason}` }] };
  }
}

/** Rewrites outside string literals only: trailing commas go, unsafe integer literals become strings. */
function repairFbrJson(text: string): string {
  let out = "";
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (char === '"') {
      // Copy the whole string literal, honouring escapes.
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      out += text.slice(index, end + 1);
      index = end + 1;
      continue;
    }
    if (char === ",") {
      let next = index + 1;
      while (next < text.length && /\s/.test(text[next] as string)) next++;
      if (text[next] === "}" || text[next] === "]") {
        index = next;
        continue;
      }
    }
    if (char === "-" || (char >= "0" && char <= "9")) {
      const match = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(index, index + 400));
      if (match) {
        const literal = match[0];
        const isInteger = /^-?\d+$/.test(literal);
        out += isInteger && !Number.isSafeInteger(Number(literal)) ? `"${literal}"` : literal;
        index += literal.length;
        continue;
      }
    }
    out += char;
    index++;
  }
  return out;
}
