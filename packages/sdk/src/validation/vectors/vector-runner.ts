// Loads the JSON test vectors in this folder and applies their mutations. A vector names a base payload
// (bases.json) or a scenario id, a list of mutations, an optional context, and the exact issues expected.
import { readdirSync, readFileSync } from "node:fs";
import type { DiValidationContext, ImsValidationContext } from "../types.ts";
import { scenarioSample } from "./scenario-samples.ts";

export type Mutation = { set: string; to: unknown } | { delete: string };

export interface ExpectedIssue {
  code: string;
  item?: number;
  field: string;
}

export interface VectorContext {
  now?: string;
  invoiceDateClock?: "pakistan" | "utc";
  sandbox?: boolean;
  sellerNtn?: string;
  assignedScenarios?: string[];
  registeredBuyers?: string[];
  originalInvoices?: Record<string, { invoiceDate: string; totalValue?: number }>;
  posId?: number;
}

export interface Vector {
  name: string;
  base: string;
  context?: VectorContext;
  mutations: Mutation[];
  expect: ExpectedIssue[];
  /** When given: exactly these FBR-only checks (DI), by rule, with their codes. */
  fbrWillCheck?: { rule: string; codes: string[] }[];
}

export interface VectorFile {
  file: string;
  kind: "di" | "ims";
  vectors: Vector[];
}

const folder = new URL("./", import.meta.url);
const bases = JSON.parse(readFileSync(new URL("bases.json", folder), "utf8")) as Record<string, unknown>;

/** Every vectors/*.json file except bases.json and the scenario exception list. */
export function loadVectorFiles(): VectorFile[] {
  return readdirSync(folder)
    .filter(
      (name) => name.endsWith(".json") && name !== "bases.json" && name !== "scenario-sample-exceptions.json",
    )
    .sort()
    .map((file) => ({
      file,
      ...(JSON.parse(readFileSync(new URL(file, folder), "utf8")) as Omit<VectorFile, "file">),
    }));
}

export function basePayload(base: string): unknown {
  if (/^SN\d{3}$/.test(base)) return scenarioSample(base);
  if (!(base in bases) || base.startsWith("_")) throw new Error(`unknown base payload ${base}`);
  return structuredClone(bases[base]);
}

/** "items[1].rate" → ["items", 1, "rate"]. */
function parsePath(path: string): (string | number)[] {
  const steps: (string | number)[] = [];
  for (const part of path.split(".")) {
    const match = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
    if (match === null || match[1] === undefined) throw new Error(`bad vector path ${path}`);
    steps.push(match[1]);
    for (const index of (match[2] ?? "").matchAll(/\[(\d+)\]/g)) steps.push(Number(index[1]));
  }
  return steps;
}

export function applyMutations(payload: unknown, mutations: readonly Mutation[]): unknown {
  let root = payload;
  for (const mutation of mutations) {
    const path = "set" in mutation ? mutation.set : mutation.delete;
    if (path === "") {
      if ("set" in mutation) root = structuredClone(mutation.to);
      continue;
    }
    const steps = parsePath(path);
    let target = root as Record<string | number, unknown>;
    for (const step of steps.slice(0, -1)) target = target[step] as Record<string | number, unknown>;
    const last = steps[steps.length - 1] as string | number;
    if ("set" in mutation) target[last] = structuredClone(mutation.to);
    else delete target[last];
  }
  return root;
}

// After every PRAL sample date (the latest is SN006, 2025-07-01).
export const DEFAULT_VECTOR_NOW = "2025-08-01T12:00:00Z";

export function diContext(context: VectorContext = {}): DiValidationContext {
  const result: DiValidationContext = { now: new Date(context.now ?? DEFAULT_VECTOR_NOW) };
  if (context.sandbox !== undefined) result.sandbox = context.sandbox;
  if (context.invoiceDateClock !== undefined) result.invoiceDateClock = context.invoiceDateClock;
  if (context.sellerNtn !== undefined) result.sellerNtn = context.sellerNtn;
  if (context.assignedScenarios !== undefined) result.assignedScenarios = context.assignedScenarios;
  const registered = context.registeredBuyers;
  if (registered !== undefined) result.isRegisteredBuyer = (ntn) => registered.includes(ntn);
  const originals = context.originalInvoices;
  if (originals !== undefined) result.findOriginalInvoice = (number) => originals[number];
  return result;
}

export function imsContext(context: VectorContext = {}): ImsValidationContext {
  return context.posId === undefined ? {} : { posId: context.posId };
}
