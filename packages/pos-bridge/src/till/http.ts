// HTTP face of the till: FBR's fiscal-component contract on localhost (FBR-SPEC §11) plus Raseed's look-up,
// receipts and metrics. `buildBridgeApp` builds one listener over a `PosBridge`; ../start.ts starts them.
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import {
  buildReceiptLayout,
  receiptLogoMarker,
  renderReceiptEscPos,
  renderReceiptPdf,
  renderReceiptText,
} from "../receipts/index.ts";
import type { BridgeLogger } from "../telemetry.ts";
import { BRIDGE_REPLY_CODES, type BridgeProblem, errorReply, HEALTH_REPLY } from "./protocol.ts";
import type { ListenerScope, PosBridge } from "./service.ts";

/** Paths the bridge serves (lower case: FBR's Windows service matches paths in any letter case). */
const ROUTES: Readonly<Record<string, string>> = {
  "/api/imsfiscal/get": "GET",
  "/api/imsfiscal/getinvoicenumberbymodel": "POST",
  "/api/imsfiscal/getinvoicenumberbyusin": "GET",
  "/api/imsfiscal/receipt": "GET",
  "/metrics": "GET",
};

function problem(field: string, message: string): BridgeProblem {
  return { Code: "RIMS01", Field: field, Path: field, Item: null, Message: message };
}

/** Reads the raw body as JSON; POS software adds BOMs and odd content types, so parsing is ours. */
function parseJsonBody(raw: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  if (raw === undefined || raw === null)
    return { ok: false, message: "The request has no body; send the IMS invoice as JSON." };
  const text = String(raw)
    .replace(/^\uFEFF/, "")
    .trim();
  if (text === "") return { ok: false, message: "The request body is empty; send the IMS invoice as JSON." };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `The request body is not valid JSON (${(error as Error).message}).` };
  }
}

function queryValue(query: unknown, name: string): string | undefined {
  if (typeof query !== "object" || query === null) return undefined;
  for (const [key, value] of Object.entries(query)) {
    if (key.toLowerCase() === name)
      return typeof value === "string" ? value : Array.isArray(value) ? String(value[0]) : undefined;
  }
  return undefined;
}

export interface BridgeAppOptions {
  scope?: ListenerScope;
  bodyLimitBytes?: number;
  logger?: BridgeLogger;
  /** The retailer's FBR POS logo (PNG) for receipts. */
  logoPng?: Buffer;
}

/** Builds one listener's Fastify app over a shared `PosBridge` (the app is not started). */
export function buildBridgeApp(bridge: PosBridge, options: BridgeAppOptions = {}): FastifyInstance {
  const scope = options.scope ?? {};
  const bodyLimit = options.bodyLimitBytes ?? 256 * 1024;
  const app = Fastify({
    logger: false,
    bodyLimit,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
  });

  // Take every body as text, whatever its content type: .NET clients send `application/json; charset=utf-8`,
  // some POS software `text/plain` or nothing. The handler parses it and answers IMS-style when it cannot.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));

  app.get("/api/IMSFiscal/Get", async () => HEALTH_REPLY);

  app.post("/api/IMSFiscal/GetInvoiceNumberByModel", async (request, reply) => {
    const parsed = parseJsonBody(request.body);
    if (!parsed.ok) {
      return reply
        .code(400)
        .send(
          errorReply(BRIDGE_REPLY_CODES.unreadableRequest, "Invalid data received", [
            problem("", parsed.message),
          ]),
        );
    }
    const answer = await bridge.getInvoiceNumberByModel(parsed.value, scope);
    return reply.code(answer.status).send(answer.reply);
  });

  app.get("/api/IMSFiscal/GetInvoiceNumberByUSIN", async (request, reply) => {
    const answer = await bridge.getInvoiceNumberByUsin(
      queryValue(request.query, "usin"),
      queryValue(request.query, "posid"),
    );
    return reply.code(answer.status).send(answer.reply);
  });

  // Raseed's extension: the receipt of a journaled sale, as PDF, ESC/POS bytes or text (?format=).
  app.get("/api/IMSFiscal/Receipt", async (request, reply) => {
    const format = (queryValue(request.query, "format") ?? "pdf").toLowerCase();
    if (!["pdf", "escpos", "text"].includes(format)) {
      return reply
        .code(400)
        .send(
          errorReply(BRIDGE_REPLY_CODES.invalidData, "Invalid data received", [
            problem("format", "format must be pdf, escpos or text."),
          ]),
        );
    }
    // A fiscal number is printed only once its settle is on disk.
    await bridge.journal.durable();
    const found = bridge.receiptFor(queryValue(request.query, "usin"), queryValue(request.query, "posid"));
    if (!found.ok) return reply.code(found.answer.status).send(found.answer.reply);
    const images = options.logoPng === undefined ? {} : { logoPng: options.logoPng };
    if (format === "text")
      return reply
        .type("text/plain; charset=utf-8")
        .send(`${renderReceiptText(buildReceiptLayout(found.input), receiptLogoMarker(found.input))}\n`);
    if (format === "escpos")
      return reply.type("application/octet-stream").send(await renderReceiptEscPos(found.input, images));
    return reply.type("application/pdf").send(await renderReceiptPdf(found.input, images));
  });

  app.get("/metrics", async (_request, reply) =>
    reply.type(bridge.metrics.contentType).send(await bridge.metricsText()),
  );

  app.setNotFoundHandler(async (request, reply) => {
    const path = (request.url.split("?")[0] ?? "").replace(/\/+$/, "").toLowerCase();
    const allowed = ROUTES[path];
    if (allowed !== undefined) {
      return reply
        .code(405)
        .header("allow", allowed)
        .send(
          errorReply(
            BRIDGE_REPLY_CODES.noSuchResource,
            `No matching resource found for given API Request: use ${allowed}`,
            [
              problem(
                "",
                `${request.method} is not supported on ${request.url.split("?")[0]}; use ${allowed}.`,
              ),
            ],
          ),
        );
    }
    return reply
      .code(404)
      .send(
        errorReply(BRIDGE_REPLY_CODES.noSuchResource, "No matching resource found for given API Request", [
          problem("", `Nothing is served at ${request.method} ${request.url.split("?")[0]}.`),
        ]),
      );
  });

  app.setErrorHandler(async (error: FastifyError, _request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reply
        .code(413)
        .send(
          errorReply(BRIDGE_REPLY_CODES.unreadableRequest, "Invalid data received", [
            problem(
              "",
              `The request body is larger than ${bodyLimit} bytes; an IMS invoice is a few kilobytes.`,
            ),
          ]),
        );
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply
        .code(status)
        .send(
          errorReply(BRIDGE_REPLY_CODES.unreadableRequest, "Invalid data received", [
            problem("", error.message),
          ]),
        );
    }
    options.logger?.error({ error: error.message, code: error.code }, "request failed inside the bridge");
    // The sale may not be journaled: no number, and the POS may safely send the same USIN again.
    return reply
      .code(500)
      .send(
        errorReply(BRIDGE_REPLY_CODES.bridgeFailure, "Fiscal invoice creation failed.", [
          problem("", "The bridge could not record this sale; send it again with the same USIN."),
        ]),
      );
  });

  return app;
}
