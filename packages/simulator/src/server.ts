// The simulator as a pipeline of named parts, in the order FBR's stack applies them:
//   route match (WSO2: "No matching resource") → auth (WSO2 9009xx faults) → body parse →
//   faults (latency, 5xx, throttling, HTML page, hang, reset) → rules (0401, sandbox gate, sdk validation)
//   → numbering + store → answer (or, for commit-then-drop, a dropped connection after the save).
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { pakistanDateTime } from "@raseed/sdk";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Fastify from "fastify";
import type { ApiFamily } from "./auth.ts";
import {
  apiContextOfPath,
  authorise,
  forbiddenFault,
  invalidCredentialsFault,
  noMatchingResourceFault,
  throttledFault,
} from "./auth.ts";
import type { SimulatorConfig, SimulatorConfigInput } from "./config.ts";
import { parseSimulatorConfig, worldFromConfig } from "./config.ts";
import type { FaultConfig, FaultDecision, FaultRule } from "./faults.ts";
import { FaultEngine, FaultHeaderError, faultConfigSchema, parseFaultHeader } from "./faults.ts";
import { registerInspectionRoutes } from "./inspect.ts";
import { FbrNumberIssuer } from "./numbering.ts";
import { DI_PATHS, DIST_PATHS, IMS_PATHS } from "./paths.ts";
import { answerReferenceGet, answerRegType, answerStatl, REFERENCE_GET_PATHS } from "./reference.ts";
import {
  diHeaderRejectionBody,
  diItemRejectionBody,
  diPostSuccessBody,
  diValidateSuccessBody,
  imsRejectionBody,
  imsSuccessBody,
} from "./responses.ts";
import { evaluateDiInvoice, evaluateImsInvoice, invoiceTotals, itemCountOf } from "./rules.ts";
import { InvoiceStore, payloadHash } from "./store.ts";
import type { DiEnvironment, TokenGrant, WorldIndex } from "./world.ts";
import { indexWorld } from "./world.ts";

export interface SimulatorOptions {
  /** Default 8244 (the port of FBR's IMS sandbox); 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A config object (validated like the config file). */
  config?: SimulatorConfigInput | SimulatorConfig;
  /** Start-up faults; replace the config file's `faults` when given. */
  faults?: FaultConfig;
  /** Serve /__sim/ inspection routes (default true). */
  inspect?: boolean;
  /** Milliseconds since the epoch; tests may pin it. */
  clock?: () => number;
}

export interface RunningSimulator {
  url: string;
  close(): Promise<void>;
  setFaults(faults: FaultConfig): void;
  /**
   * What the simulator did, for tests to wait on instead of a clock: `"hang"` (with the request's path)
   * once a request is held by the hang fault.
   */
  readonly events: EventEmitter;
  /** Forget accepted invoices and restore the start-up faults. */
  reset(): void;
  readonly store: InvoiceStore;
}

/** The simulator's request body limit; PRAL's is unpublished, 5 MB fits thousands of lines. */
export const SIMULATOR_BODY_LIMIT = 5 * 1024 * 1024;

type RouteMeta =
  | { family: "di"; environment: DiEnvironment; endpoint: "post" | "validate" }
  | { family: "reference"; environment: undefined }
  | { family: "ims"; environment: DiEnvironment };

export { DI_PATHS, IMS_PATHS };

declare module "fastify" {
  interface FastifyRequest {
    simGrant: TokenGrant | null;
    simDropAfterCommit: boolean;
  }
}

interface SimulatorState {
  world: WorldIndex;
  store: InvoiceStore;
  faults: FaultEngine;
  startupFaults: FaultConfig;
  issuer: FbrNumberIssuer;
  clock: () => number;
  hangingSockets: Set<Socket>;
  events: EventEmitter;
  sellerMismatchHttpStatus: 401 | 200;
  /** The day 0043 judges a future invoiceDate by (config `invoiceDateClock`). */
  invoiceDateClock: "utc" | "pakistan";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function familyOfPath(path: string): ApiFamily | undefined {
  if (path in DI_PATHS) return "di";
  if (path in IMS_PATHS) return "ims";
  if (
    (REFERENCE_GET_PATHS as readonly string[]).includes(path) ||
    (DIST_PATHS as readonly string[]).includes(path)
  ) {
    return "reference";
  }
  return undefined;
}

function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** Body for a request FBR's stack refuses before the rules run (bad JSON, media type, size). */
function badRequestBody(family: ApiFamily | undefined, status: number, reason: string, now: number): unknown {
  if (family === "di") {
    return {
      dated: pakistanDateTime(now),
      validationResponse: {
        statusCode: "01",
        status: "Invalid",
        errorCode: null,
        error: reason,
        invoiceStatuses: null,
      },
    };
  }
  if (family === "ims") return imsRejectionBody([{ Code: String(status), Field: "body", Message: reason }]);
  return { fault: { code: status, type: "Status report", message: "Runtime Error", description: reason } };
}

const HTML_GATEWAY_PAGE = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>
`;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Drops the connection with no answer; a TCP reset where the platform allows it. */
function dropConnection(request: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  const socket = request.raw.socket;
  if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
  else socket.destroy();
}

/** Sends the answer, unless a commit-then-drop fault asked for the lost-response case. */
function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  body: unknown,
): FastifyReply | undefined {
  if (request.simDropAfterCommit) {
    dropConnection(request, reply);
    return undefined;
  }
  return reply.code(status).send(body);
}

async function applyFault(
  state: SimulatorState,
  request: FastifyRequest,
  reply: FastifyReply,
  decision: FaultDecision,
): Promise<FastifyReply | undefined> {
  if (decision.delayMs > 0) await delay(decision.delayMs);
  switch (decision.kind) {
    case undefined:
      return undefined;
    case "http500":
      return reply.code(500).send({
        fault: {
          code: 101500,
          type: "Status report",
          message: "Runtime Error",
          description: "Internal Server Error (Contact Administrator)",
        },
      });
    case "http503":
      return reply
        .code(503)
        .header("retry-after", String(decision.retryAfterSeconds))
        .send({
          fault: {
            code: 101503,
            type: "Status report",
            message: "Runtime Error",
            description: "Error connecting to the back end",
          },
        });
    case "http429":
      return reply.code(429).header("retry-after", String(decision.retryAfterSeconds)).send(throttledFault());
    case "unauthorized401":
      return reply.code(401).send(invalidCredentialsFault(apiContextOfPath(request.url)));
    case "forbidden403":
      return reply.code(403).send(forbiddenFault(apiContextOfPath(request.url)));
    case "html-gateway":
      return reply.code(decision.htmlStatus).type("text/html; charset=utf-8").send(HTML_GATEWAY_PAGE);
    case "hang": {
      // Never answer; the socket is closed only when the client gives up or the simulator stops.
      reply.hijack();
      const socket = request.raw.socket;
      state.hangingSockets.add(socket);
      socket.once("close", () => state.hangingSockets.delete(socket));
      state.events.emit("hang", request.url);
      return reply;
    }
    case "reset-before":
      dropConnection(request, reply);
      return reply;
    case "commit-then-drop":
      request.simDropAfterCommit = true;
      return undefined;
  }
}

export function buildSimulatorApp(options: SimulatorOptions = {}): {
  app: FastifyInstance;
  state: SimulatorState;
} {
  const config =
    options.config === undefined
      ? undefined
      : parseSimulatorConfig(options.config as unknown, "simulator options");
  const startupFaults = faultConfigSchema.parse(options.faults ?? config?.faults ?? {});
  const clock = options.clock ?? Date.now;
  const state: SimulatorState = {
    world: indexWorld(worldFromConfig(config)),
    store: new InvoiceStore(),
    faults: new FaultEngine(startupFaults),
    startupFaults,
    issuer: new FbrNumberIssuer(clock),
    clock,
    hangingSockets: new Set(),
    events: new EventEmitter(),
    sellerMismatchHttpStatus: config?.sellerMismatchHttpStatus ?? 401,
    invoiceDateClock: config?.invoiceDateClock ?? "utc",
  };

  const app = Fastify({ logger: false, bodyLimit: SIMULATOR_BODY_LIMIT, forceCloseConnections: true });
  // FBR's services speak JSON only; Fastify's built-in text/plain parser would let text through.
  app.removeContentTypeParser("text/plain");
  app.decorateRequest("simGrant", null);
  app.decorateRequest("simDropAfterCommit", false);
  const routeMeta = new Map<string, RouteMeta>();

  // WSO2 checks the token before the body is read, so auth runs on onRequest.
  app.addHook("onRequest", async (request, reply) => {
    const meta = routeMeta.get(request.routeOptions.url ?? "");
    if (!meta) return;
    const decision = authorise(state.world, request.headers.authorization, {
      family: meta.family,
      environment: meta.environment,
      path: request.url,
    });
    if (!decision.ok) return reply.code(decision.status).send(decision.body);
    request.simGrant = decision.grant;
  });

  app.addHook("preHandler", async (request, reply) => {
    const meta = routeMeta.get(request.routeOptions.url ?? "");
    if (!meta) return;
    let headerRule: FaultRule | undefined;
    const header = request.headers["x-sim-fault"];
    if (typeof header === "string" && header.trim() !== "") {
      try {
        headerRule = parseFaultHeader(header);
      } catch (error) {
        const message = error instanceof FaultHeaderError ? error.message : "invalid X-Sim-Fault header";
        return reply.code(400).send({ simulatorError: message });
      }
    }
    const decision = state.faults.decide(pathOf(request.url), headerRule);
    return applyFault(state, request, reply, decision);
  });

  app.setErrorHandler((error: { statusCode?: number; code?: string; message?: string }, request, reply) => {
    const family = familyOfPath(pathOf(request.url));
    const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 500;
    let reason = "Internal Server Error (Contact Administrator)";
    if (status === 413) reason = `The request body is larger than ${SIMULATOR_BODY_LIMIT / (1024 * 1024)} MB`;
    else if (status === 415) reason = "Unsupported Content-Type: send application/json";
    else if (error.code === "FST_ERR_CTP_EMPTY_JSON_BODY") reason = "The request body is empty";
    else if (status === 400) reason = "The request body is not valid JSON";
    else if (status < 500) reason = error.message ?? "Bad request";
    return reply.code(status).send(badRequestBody(family, status, reason, state.clock()));
  });

  app.setNotFoundHandler((request, reply) => {
    // WSO2 answers both an unknown path and a known path with the wrong verb this way.
    const known = familyOfPath(pathOf(request.url)) !== undefined;
    const status = known ? 405 : 404;
    return reply.code(status).send(noMatchingResourceFault(status));
  });

  for (const [path, route] of Object.entries(DI_PATHS)) {
    routeMeta.set(path, { family: "di", environment: route.environment, endpoint: route.endpoint });
    app.post(path, async (request, reply) => {
      const grant = request.simGrant;
      if (grant?.kind !== "di") return reply.code(403).send(forbiddenFault(apiContextOfPath(path)));
      const body = request.body;
      const now = state.clock();
      if (!isPlainObject(body)) {
        return reply.code(400).send(badRequestBody("di", 400, "The request body must be a JSON object", now));
      }
      const verdict = evaluateDiInvoice({
        invoice: body,
        sandbox: route.environment === "sandbox",
        seller: grant.seller,
        world: state.world,
        store: state.store,
        now: new Date(now),
        invoiceDateClock: state.invoiceDateClock,
      });
      const dated = pakistanDateTime(now);
      switch (verdict.kind) {
        case "unauthorised-seller":
          // 0401: HTTP 401 by default (the simulator's choice, docs/simulator.md); config can make it 200.
          return answer(
            request,
            reply,
            state.sellerMismatchHttpStatus,
            diHeaderRejectionBody(dated, verdict.failure),
          );
        case "header":
          return answer(request, reply, 200, diHeaderRejectionBody(dated, verdict.failure));
        case "item":
          return answer(
            request,
            reply,
            200,
            diItemRejectionBody(route.endpoint, dated, verdict.itemCount, verdict.failures),
          );
        case "valid":
          break;
      }
      const itemCount = itemCountOf(body);
      if (route.endpoint === "validate")
        return answer(request, reply, 200, diValidateSuccessBody(dated, itemCount));
      const issued = state.issuer.nextDiInvoiceNumber(grant.seller.ntn);
      const response = diPostSuccessBody(issued.invoiceNumber, issued.dated, itemCount);
      const totals = invoiceTotals(body);
      state.store.add({
        channel: "di",
        invoiceNumber: issued.invoiceNumber,
        environment: route.environment,
        path,
        dated: issued.dated,
        acceptedAt: new Date(now).toISOString(),
        payloadHash: payloadHash(body),
        sellerNTNCNIC: grant.seller.ntn,
        ...(typeof body.invoiceDate === "string" ? { invoiceDate: body.invoiceDate } : {}),
        itemNumbers: response.validationResponse.invoiceStatuses.map((status) => status.invoiceNo),
        ...(totals === undefined ? {} : { totalValue: totals.value, totalSalesTax: totals.salesTax }),
        ...(typeof body.invoiceType === "string" ? { invoiceType: body.invoiceType } : {}),
        ...(typeof body.invoiceRefNo === "string" ? { invoiceRefNo: body.invoiceRefNo.trim() } : {}),
        answerDropped: request.simDropAfterCommit,
        payload: body,
      });
      return answer(request, reply, 200, response);
    });
  }

  for (const path of REFERENCE_GET_PATHS) {
    routeMeta.set(path, { family: "reference", environment: undefined });
    app.get(path, async (request, reply) => {
      const found = answerReferenceGet(path, request.query as Record<string, string | undefined>);
      if (!found) return reply.code(404).send(noMatchingResourceFault(404));
      return answer(request, reply, found.status, found.body);
    });
  }
  for (const path of DIST_PATHS) {
    routeMeta.set(path, { family: "reference", environment: undefined });
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const query = request.query as Record<string, string | undefined>;
      const found =
        path === "/dist/v1/statl"
          ? answerStatl(request.body, query, state.world.isRegisteredBuyer)
          : answerRegType(request.body, query, state.world.isRegisteredBuyer);
      return answer(request, reply, found.status, found.body);
    };
    // The spec says "Get" but shows a body; integrators use POST. Both are served.
    app.post(path, handler);
    app.get(path, handler);
  }

  for (const [path, environment] of Object.entries(IMS_PATHS)) {
    routeMeta.set(path, { family: "ims", environment });
    app.post(path, async (request, reply) => {
      const grant = request.simGrant;
      if (grant?.kind !== "ims") return reply.code(403).send(forbiddenFault(apiContextOfPath(path)));
      const body = request.body;
      const now = state.clock();
      if (!isPlainObject(body)) {
        return reply
          .code(400)
          .send(badRequestBody("ims", 400, "The request body must be a JSON object", now));
      }
      const verdict = evaluateImsInvoice(body, grant.terminal);
      if (verdict.kind === "invalid") return answer(request, reply, 200, imsRejectionBody(verdict.errors));
      const fiscalNumber = state.issuer.nextImsFiscalNumber(grant.terminal.posId);
      state.store.add({
        channel: "ims",
        invoiceNumber: fiscalNumber,
        environment,
        path,
        dated: pakistanDateTime(now),
        acceptedAt: new Date(now).toISOString(),
        payloadHash: payloadHash(body),
        POSID: grant.terminal.posId,
        ...(typeof body.USIN === "string" ? { USIN: body.USIN } : {}),
        answerDropped: request.simDropAfterCommit,
        payload: body,
      });
      return answer(request, reply, 200, imsSuccessBody(fiscalNumber));
    });
  }

  if (options.inspect !== false) {
    registerInspectionRoutes(app, {
      store: state.store,
      faults: state.faults,
      reset: () => resetState(state),
    });
  }

  app.addHook("onClose", async () => {
    for (const socket of state.hangingSockets) socket.destroy();
    state.hangingSockets.clear();
  });

  return { app, state };
}

function resetState(state: SimulatorState): void {
  state.store.clear();
  state.faults.configure(state.startupFaults);
}

/**
 * Starts the simulator on loopback.
 * @example const sim = await startSimulator({ port: 0 }); // sim.url → "http://127.0.0.1:53121"
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const { app, state } = buildSimulatorApp(options);
  const host = options.host ?? "127.0.0.1";
  await app.listen({ port: options.port ?? 8244, host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 8244);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    close: async () => {
      for (const socket of state.hangingSockets) socket.destroy();
      await app.close();
    },
    setFaults: (faults) => state.faults.configure(faults),
    events: state.events,
    reset: () => resetState(state),
    store: state.store,
  };
}
