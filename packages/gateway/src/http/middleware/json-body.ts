// The JSON body parser: Fastify's own (which refuses __proto__ keys), behind a nesting bound. Every route
// handler and service walks bodies recursively (canonical hashing, redaction, zod); the bound here is what
// makes that recursion safe on client input (issue 13: 3,000 levels in 6 KB overflowed the stack, 500).
import { jsonNestingExceeds, MAX_JSON_DEPTH } from "@raseed/sdk";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../api-error.ts";

export function installBoundedJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "ignore");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
      done(
        new ApiError(
          "json_too_deep",
          `the request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`,
        ),
        undefined,
      );
      return;
    }
    void parseJson(request, text, done);
  });
}
