// Raseed's simpler form (`draft`) is refused with every problem at once, in the same ValidationIssue shape
// as FBR-payload validation (docs/api.md: 422 `validation_failed`, `details.issues`). The sdk's builder
// stops at its first error, so the draft's shape is checked first with the sdk's diInvoiceDraftSchema
// (derived from the DiInvoiceDraft type; it reports every structural problem), and a draft that is well-formed but refused by the builder is rebuilt line by line
// so that each bad line is named.
import {
  buildDiInvoice,
  type DiInvoice,
  diInvoiceDraftSchema,
  InvoiceDraftError,
  type ValidationIssue,
} from "@raseed/sdk";

/** "lines[2].quantity" → the ValidationIssue for it (item 3, level item). */
function draftIssue(path: string, message: string, code = "invalid_draft"): ValidationIssue {
  const line = /^lines\[(\d+)\]/.exec(path);
  const field =
    path
      .split(".")
      .pop()
      ?.replace(/\[\d+\]$/, "") || "draft";
  return {
    code,
    level: line !== null ? "item" : "header",
    field,
    path: `draft.${path}`,
    ...(line?.[1] !== undefined ? { item: Number(line[1]) + 1 } : {}),
    message: `${path}: ${message}`,
    fix:
      code === "invalid_draft"
        ? `correct draft.${path} (see docs/api.md, "Raseed's simpler form")`
        : `correct draft.${path}; FBR would refuse it with ${code}`,
  };
}

function zodPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, part) =>
      typeof part === "number" ? `${out}[${part}]` : out === "" ? String(part) : `${out}.${String(part)}`,
    "",
  );
}

function builderIssue(error: unknown, lineIndex?: number): ValidationIssue {
  if (error instanceof InvoiceDraftError) {
    const path =
      lineIndex === undefined ? error.path : error.path.replace(/^lines\[0\]/, `lines[${lineIndex}]`);
    const message = error.message.startsWith(`${error.path}: `)
      ? error.message.slice(error.path.length + 2)
      : error.message;
    return draftIssue(path, message, error.fbrCode ?? "invalid_draft");
  }
  return draftIssue("", `cannot be turned into an FBR invoice: ${(error as Error).message}`);
}

/** Builds the draft, or returns every problem found in it. */
export function buildDraftOrIssues(
  draft: unknown,
  options: { sandbox: boolean },
): { invoice: DiInvoice } | { issues: ValidationIssue[] } {
  const shape = diInvoiceDraftSchema.safeParse(draft);
  if (!shape.success) {
    return { issues: shape.error.issues.map((issue) => draftIssue(zodPath(issue.path), issue.message)) };
  }
  const typed = shape.data;
  try {
    return { invoice: buildDiInvoice(typed, options) };
  } catch (first) {
    // Rebuild each line on its own to name every bad line, not just the first.
    const issues = new Map<string, ValidationIssue>();
    typed.lines.forEach((line, index) => {
      try {
        buildDiInvoice({ ...typed, lines: [line] }, options);
      } catch (error) {
        const issue = builderIssue(error, index);
        issues.set(`${issue.path}|${issue.message}`, issue);
      }
    });
    if (issues.size === 0) return { issues: [builderIssue(first)] };
    return { issues: [...issues.values()] };
  }
}
