// docs/api.md's error table lists exactly the codes the API can answer with, each with the status the HTTP
// layer maps it to (http/api-error.ts API_ERRORS is the one map; every ApiError and DomainError is typed by
// its code, so no other code can be produced).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DomainError } from "../src/errors.ts";
import { API_ERRORS, ApiError, asApiError } from "../src/http/api-error.ts";

/** `| status | code[ / code...] | when |` rows of the "## Errors" section. */
function documentedCodes(): Map<string, number> {
  const text = readFileSync(new URL("../../../docs/api.md", import.meta.url), "utf8");
  const section = text.slice(text.indexOf("## Errors"));
  const table = section.slice(0, section.indexOf("\n\n", section.indexOf("| status | code |")));
  const codes = new Map<string, number>();
  for (const line of table.split("\n")) {
    const match = /^\| (\d{3}) \| ([^|]+) \|/.exec(line);
    if (match === null) continue;
    for (const code of match[2]?.matchAll(/`([a-z_]+)`/g) ?? []) codes.set(code[1] ?? "", Number(match[1]));
  }
  return codes;
}

describe("docs/api.md's error codes", () => {
  it("are exactly the codes the API can answer with, each with its status", () => {
    const documented = documentedCodes();
    expect([...documented.keys()].sort()).toEqual(Object.keys(API_ERRORS).sort());
    for (const [code, status] of documented) {
      expect({ code, status }).toEqual({ code, status: API_ERRORS[code as keyof typeof API_ERRORS] });
    }
  });
});

describe("the one mapping from a domain error to HTTP", () => {
  it("gives a service's error its code's status and keeps its message and details", () => {
    const mapped = asApiError(new DomainError("fbr_number_in_use", "taken", { invoiceId: "inv_1" }));
    expect(mapped).toBeInstanceOf(ApiError);
    expect({ status: mapped?.status, code: mapped?.code, message: mapped?.message }).toEqual({
      status: 409,
      code: "fbr_number_in_use",
      message: "taken",
    });
    expect(mapped?.details).toEqual({ invoiceId: "inv_1" });
    expect(asApiError(new Error("a bug"))).toBeUndefined();
  });
});

describe("services", () => {
  it("raise DomainErrors: only the HTTP layer (http/, the dashboard, app.ts) uses ApiError", () => {
    const root = new URL("../src/", import.meta.url).pathname;
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const relative = path.slice(root.length);
        if (statSync(path).isDirectory()) {
          if (relative !== "http" && relative !== "dashboard") walk(path);
        } else if (
          relative !== "app.ts" &&
          /new ApiError\(|from "[^"]*http\/api-error\.ts"/.test(readFileSync(path, "utf8"))
        ) {
          offenders.push(relative);
        }
      }
    };
    walk(root);
    // index.ts re-exports the HTTP error map for the package's users; it raises nothing.
    expect(offenders).toEqual(["index.ts"]);
  });
});
