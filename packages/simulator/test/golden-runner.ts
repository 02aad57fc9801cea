// Replays golden transcripts (packages/simulator/golden-transcripts/*.json) against a real simulator
// over HTTP. Expected bodies are exact JSON (key order included) except where a matcher stands in for a
// volatile value:
//   {"$match": "<regex>"}  a string matching the pattern (after {{var}} substitution)
//   {"$any": true}         anything
//   {"$subset": {...}}     an object holding at least these keys, each matching
//   "{{name}}"             substituted from an earlier capture before comparing
import http from "node:http";
import type { FaultConfig, SimulatorConfigInput } from "../src/index.ts";

export interface TranscriptRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** JSON body; sent with content-type application/json unless headers say otherwise. */
  body?: unknown;
  /** Raw body text, sent as is. */
  rawBody?: string;
  /** Client gives up after this many ms (for hang faults). */
  timeoutMs?: number;
}

export interface TranscriptResponse {
  status?: number;
  headers?: Record<string, unknown>;
  body?: unknown;
  rawBody?: unknown;
  /** The simulator sent no answer: "closed" (reset or dropped) or "timeout" (hang). */
  noAnswer?: "closed" | "timeout";
  /** The answer took at least this long (latency faults). */
  minElapsedMs?: number;
}

export interface TranscriptStep {
  note?: string;
  request: TranscriptRequest;
  response: TranscriptResponse;
  /** name → dotted path into the response body, e.g. "validationResponse.invoiceStatuses.0.invoiceNo". */
  capture?: Record<string, string>;
}

export interface Transcript {
  name: string;
  description: string;
  /** `clock`: the simulator's fixed "now" (ISO), for transcripts about dates. */
  simulator?: { config?: SimulatorConfigInput; faults?: FaultConfig; clock?: string };
  steps: TranscriptStep[];
}

export interface Exchange {
  status?: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  noAnswer?: "closed" | "timeout";
  elapsedMs: number;
}

export function sendRaw(
  baseUrl: string,
  request: TranscriptRequest,
  vars: Record<string, string>,
): Promise<Exchange> {
  const url = new URL(substitute(request.path, vars), baseUrl);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = substitute(v, vars);
  let payload: string | undefined;
  if (request.rawBody !== undefined) payload = substitute(request.rawBody, vars);
  else if (request.body !== undefined) {
    payload = JSON.stringify(substituteDeep(request.body, vars));
    headers["content-type"] ??= "application/json";
  }
  if (payload !== undefined) headers["content-length"] = String(Buffer.byteLength(payload));
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (exchange: Omit<Exchange, "elapsedMs">) => {
      if (settled) return;
      settled = true;
      resolve({ ...exchange, elapsedMs: performance.now() - started });
    };
    const req = http.request(url, { method: request.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        finish({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", () => finish({ headers: {}, text: "", noAnswer: "closed" }));
    });
    if (request.timeoutMs !== undefined) {
      req.setTimeout(request.timeoutMs, () => {
        finish({ headers: {}, text: "", noAnswer: "timeout" });
        req.destroy();
      });
    }
    req.on("error", () => finish({ headers: {}, text: "", noAnswer: "closed" }));
    req.end(payload);
  });
}

export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => vars[name] ?? whole);
}

function substituteDeep(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === "string") return substitute(value, vars);
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, vars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteDeep(v, vars)]));
  }
  return value;
}

function isMatcher(value: unknown, key: string): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && key in value;
}

/** Returns a list of differences ("path: expected …, got …"); empty when the actual value matches. */
export function compareToExpected(
  expected: unknown,
  actual: unknown,
  vars: Record<string, string>,
  path = "$",
): string[] {
  if (isMatcher(expected, "$any")) return [];
  if (isMatcher(expected, "$match")) {
    const pattern = new RegExp(substitute(String(expected.$match), vars));
    return typeof actual === "string" && pattern.test(actual)
      ? []
      : [`${path}: expected a string matching ${pattern}, got ${JSON.stringify(actual)}`];
  }
  if (isMatcher(expected, "$subset")) {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    }
    const record = actual as Record<string, unknown>;
    return Object.entries(expected.$subset as Record<string, unknown>).flatMap(([k, v]) =>
      k in record ? compareToExpected(v, record[k], vars, `${path}.${k}`) : [`${path}.${k}: missing`],
    );
  }
  if (typeof expected === "string") {
    const wanted = substitute(expected, vars);
    return actual === wanted
      ? []
      : [`${path}: expected ${JSON.stringify(wanted)}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length !== expected.length) {
      return [
        `${path}: expected ${expected.length} elements, got ${actual.length}: ${JSON.stringify(actual)}`,
      ];
    }
    return expected.flatMap((e, i) => compareToExpected(e, actual[i], vars, `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    }
    const wantedKeys = Object.keys(expected);
    const actualKeys = Object.keys(actual);
    if (wantedKeys.join(",") !== actualKeys.join(",")) {
      return [
        `${path}: expected keys [${wantedKeys.join(", ")}] in that order, got [${actualKeys.join(", ")}]`,
      ];
    }
    return wantedKeys.flatMap((k) =>
      compareToExpected(
        (expected as Record<string, unknown>)[k],
        (actual as Record<string, unknown>)[k],
        vars,
        `${path}.${k}`,
      ),
    );
  }
  return Object.is(expected, actual)
    ? []
    : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

export function pick(value: unknown, dottedPath: string): unknown {
  let current = value;
  for (const part of dottedPath.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Checks one exchange against its expected response; captures go into vars. */
export function checkStep(step: TranscriptStep, exchange: Exchange, vars: Record<string, string>): string[] {
  const expected = step.response;
  const problems: string[] = [];
  if (expected.noAnswer !== undefined) {
    if (exchange.noAnswer !== expected.noAnswer) {
      problems.push(
        `expected no answer (${expected.noAnswer}), got ${exchange.noAnswer ?? `HTTP ${exchange.status}`}`,
      );
    }
    return problems;
  }
  if (exchange.noAnswer) return [`expected an answer, got none (${exchange.noAnswer})`];
  if (expected.status !== undefined && exchange.status !== expected.status) {
    problems.push(
      `status: expected ${expected.status}, got ${exchange.status} (${exchange.text.slice(0, 300)})`,
    );
  }
  if (expected.minElapsedMs !== undefined && exchange.elapsedMs < expected.minElapsedMs) {
    problems.push(`elapsed ${exchange.elapsedMs.toFixed(0)} ms < ${expected.minElapsedMs} ms`);
  }
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    const got = exchange.headers[name.toLowerCase()];
    problems.push(
      ...compareToExpected(value, Array.isArray(got) ? got.join(", ") : got, vars, `header ${name}`),
    );
  }
  if (expected.rawBody !== undefined)
    problems.push(...compareToExpected(expected.rawBody, exchange.text, vars, "rawBody"));
  if (expected.body !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(exchange.text);
    } catch {
      return [...problems, `body is not JSON: ${exchange.text.slice(0, 200)}`];
    }
    for (const [name, path] of Object.entries(step.capture ?? {})) {
      const value = pick(json, path);
      if (typeof value === "string") vars[name] = value;
      else problems.push(`capture ${name}: ${path} is not a string`);
    }
    problems.push(...compareToExpected(expected.body, json, vars));
  }
  return problems;
}
