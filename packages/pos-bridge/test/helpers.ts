// Shared test plumbing: a real simulator over HTTP, a bridge in this process (or a child process), and
// sales built from the documented KB model with their own USINs.
import { EventEmitter, on } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningSimulator, startSimulator } from "@raseed/simulator";
import documentation from "../../../spec/vectors/ims/fbr-documentation.json" with { type: "json" };
import {
  type BridgeConfig,
  loadBridgeConfig,
  type PosBridge,
  type RunningPosBridge,
  startPosBridge,
} from "../src/index.ts";
import type { BridgeLogger } from "../src/telemetry.ts";

export const SAMPLE_POS_ID = 110014;
export const SAMPLE_TOKEN = "1298b5eb-b252-3d97-8622-a4a69d5bf818";

export interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
  object: object;
}

/** A logger that keeps every line and emits "line" for each, so a test can wait on what is logged. */
export function collectingLogger(
  lines: LogLine[] = [],
): BridgeLogger & { lines: LogLine[]; emitter: EventEmitter<{ line: [LogLine] }> } {
  const emitter = new EventEmitter<{ line: [LogLine] }>();
  const log = (level: LogLine["level"]) => (object: object, message: string) => {
    const line = { level, message, object };
    lines.push(line);
    emitter.emit("line", line);
  };
  return { lines, emitter, info: log("info"), warn: log("warn"), error: log("error") };
}

export function tempDir(prefix = "raseed-bridge-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A valid sale: FBR's KB model with its own USIN (and the sample's dashed CNIC left out). */
export function kbSale(usin: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { BuyerCNIC: _cnic, ...model } = documentation.kbModel;
  return { ...model, USIN: usin, ...overrides };
}

export function bridgeConfig(
  dataDir: string,
  fbrUrl: string,
  overrides: Partial<BridgeConfig> = {},
): Readonly<BridgeConfig> {
  const base = loadBridgeConfig(
    { posId: String(SAMPLE_POS_ID), token: SAMPLE_TOKEN, fbrUrl, dataDir, port: "0", env: "sandbox" },
    {},
  );
  return Object.freeze({
    ...base,
    // Long: a test that expects FBR's (or the gateway's) own answer must get it however loaded the machine
    // is. A test about the provisional reply sets its own short bound, with an upstream slower than it.
    tillTimeoutMs: 60_000,
    maxBackoffMs: 100,
    pollIntervalMs: 20,
    backlogCheckIntervalMs: 60_000,
    uploadTimeoutMs: 3000,
    // Process-crash safe is enough here and keeps 2-core CI fast; the crash test runs the default (full).
    journalSync: "normal",
    ...overrides,
  });
}

export async function startBridge(
  config: Readonly<BridgeConfig>,
  logger = collectingLogger(),
  options: { now?: () => number } = {},
): Promise<RunningPosBridge & { logger: ReturnType<typeof collectingLogger> }> {
  const running = await startPosBridge(config, { logger, ...options });
  return Object.assign(running, { logger });
}

export async function startSim(port = 0): Promise<RunningSimulator> {
  return startSimulator({ port });
}

export interface BridgeHttpReply {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

export async function postSale(
  baseUrl: string,
  body: unknown,
  path = "/api/IMSFiscal/GetInvoiceNumberByModel",
): Promise<BridgeHttpReply> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

export async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as unknown };
}

export interface SimImsInvoice {
  channel: string;
  invoiceNumber: string;
  USIN?: string;
  POSID?: string;
  postCount: number;
}

export async function simImsInvoices(simUrl: string): Promise<SimImsInvoice[]> {
  const { body } = await getJson(`${simUrl}/__sim/invoices`);
  return (body as { invoices: SimImsInvoice[] }).invoices.filter((invoice) => invoice.channel === "ims");
}

/**
 * Resolves once `check` holds, checking it now and again each time `emitter` emits `event` (the bridge's
 * "attempt" or "loop-pass", a logger's "line", a child's stderr "data"). No clock: events are buffered, so
 * none is missed while an async check runs, and the wait is bounded by a count of events.
 */
export async function waitUntil(
  emitter: NodeJS.EventEmitter,
  event: string,
  check: () => Promise<boolean> | boolean,
  what: string,
  maxEvents = 10_000,
): Promise<void> {
  const stop = new AbortController();
  const events = on(emitter, event, { signal: stop.signal });
  try {
    if (await check()) return;
    let seen = 0;
    for await (const _ of events) {
      if (await check()) return;
      seen += 1;
      if (seen >= maxEvents) break;
    }
  } finally {
    stop.abort();
  }
  throw new Error(`${what}: still not so after ${maxEvents} "${event}" events`);
}

/** Waits for `count` passes of the bridge's background upload loop (to show it did NOT send something). */
export async function loopPasses(bridge: PosBridge, count: number): Promise<void> {
  let passes = 0;
  await waitUntil(bridge.events, "loop-pass", () => passes++ >= count, `${count} upload loop passes`);
}
