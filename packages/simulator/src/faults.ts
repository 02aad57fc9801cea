// Fault injection: FBR fails in these ways in the field (slow gateway, 5xx, WSO2 throttling and auth
// faults, HTML error pages, hangs, resets, and the lost response after the invoice was saved). Faults come
// from, in order of precedence: the X-Sim-Fault request header, a per-path rule, the global rule, then
// the seeded failure rate. A seed makes the chaos repeatable.
import { z } from "zod";
import { SERVED_FBR_PATHS } from "./paths.ts";

export const FAULT_KINDS = [
  "latency",
  "http500",
  "http503",
  "http429",
  "unauthorized401",
  "forbidden403",
  "html-gateway",
  "hang",
  "reset-before",
  "commit-then-drop",
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

const latencySchema = z.union([
  z.number().int().min(0).max(600_000),
  z
    .tuple([z.number().int().min(0).max(600_000), z.number().int().min(0).max(600_000)])
    .refine(([min, max]) => min <= max, "latency range must be [min, max] with min <= max"),
]);

export const faultRuleSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  /** Delay before the fault (or, for kind "latency", before the normal answer): ms or [min, max]. */
  latencyMs: latencySchema.optional(),
  /** Retry-After seconds on http503 / http429. */
  retryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
  /** HTTP status of the html-gateway page (502 unless told; 200 models a proxy that hides the error). */
  status: z.number().int().min(200).max(599).optional(),
  /** Apply to the next N matching requests only, then the rule is spent. */
  times: z.number().int().min(1).optional(),
});

export const faultConfigSchema = z.strictObject({
  latencyMs: latencySchema.optional(),
  failRate: z.number().min(0).max(1).optional(),
  failKinds: z.array(z.enum(FAULT_KINDS)).min(1).optional(),
  seed: z.number().int().optional(),
  global: faultRuleSchema.optional(),
  /** Keyed by a served FBR path (SERVED_FBR_PATHS); any other key is refused by name. */
  paths: z
    .record(
      z.string().refine((path) => SERVED_FBR_PATHS.includes(path), {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not a path the simulator serves (e.g. /di_data/v1/di/postinvoicedata_sb, /imsp/v1/api/Live/PostData, /pdi/v1/provinces)`,
      }),
      faultRuleSchema,
    )
    .optional(),
});

/** One line for a zod issue; a refused record key (a fault path typo) carries its reason one level down. */
export function zodIssueText(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key") return issue.issues[0]?.message ?? issue.message;
  if (issue.code === "unrecognized_keys")
    return `unknown key ${issue.keys.map((key) => `"${key}"`).join(", ")}`;
  return issue.message;
}

/** `faults.paths["/typo"]`, `sellers[0].ntn`: a JSON path a reader can find in their file. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(part))) out += out === "" ? String(part) : `.${String(part)}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

export type FaultRule = z.infer<typeof faultRuleSchema>;
export type FaultConfig = z.infer<typeof faultConfigSchema>;

/** Chaos picks these unless told otherwise: the transient failures a client must survive. */
export const DEFAULT_FAIL_KINDS: readonly FaultKind[] = [
  "http503",
  "http429",
  "http500",
  "reset-before",
  "commit-then-drop",
];

export interface FaultDecision {
  kind: FaultKind | undefined;
  delayMs: number;
  retryAfterSeconds: number;
  htmlStatus: number;
}

export class FaultHeaderError extends Error {}

/**
 * Parses `X-Sim-Fault: <kind>[;ms=N|MIN-MAX][;retry-after=S][;status=N]`.
 * @example parseFaultHeader("latency;ms=100-250") // { kind: "latency", latencyMs: [100, 250] }
 */
export function parseFaultHeader(value: string): FaultRule {
  const [rawKind = "", ...params] = value.split(";").map((part) => part.trim());
  const kind = FAULT_KINDS.find((k) => k === rawKind.toLowerCase());
  if (!kind)
    throw new FaultHeaderError(`unknown X-Sim-Fault kind "${rawKind}"; known: ${FAULT_KINDS.join(", ")}`);
  const rule: FaultRule = { kind };
  for (const param of params) {
    if (param === "") continue;
    const [key = "", raw = ""] = param.split("=").map((part) => part.trim());
    if (key === "ms") rule.latencyMs = parseLatency(raw);
    else if (key === "retry-after") rule.retryAfterSeconds = parseWhole(raw, "retry-after");
    else if (key === "status") rule.status = parseWhole(raw, "status");
    else throw new FaultHeaderError(`unknown X-Sim-Fault parameter "${key}"`);
  }
  const parsed = faultRuleSchema.safeParse(rule);
  if (parsed.success) return parsed.data;
  // The schema's own words (e.g. "Too big: expected number to be <=600000"), named by header parameter.
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? "");
  const parameter =
    { latencyMs: "ms", retryAfterSeconds: "retry-after", status: "status" }[field] ?? (field || "value");
  throw new FaultHeaderError(`X-Sim-Fault ${parameter}: ${issue ? zodIssueText(issue) : "invalid"}`);
}

/** "250" → 250, "100-300" → [100, 300] (the CLI's --latency-ms uses the same form). */
export function parseLatency(text: string): number | [number, number] {
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    if (min > max) throw new FaultHeaderError(`latency range "${text}" must be MIN-MAX with MIN <= MAX`);
    return [min, max];
  }
  return parseWhole(text, "latency");
}

function parseWhole(text: string, name: string): number {
  if (!/^\d+$/.test(text)) throw new FaultHeaderError(`${name} must be a whole number, got "${text}"`);
  return Number(text);
}

/** mulberry32: tiny, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultEngine {
  private config: FaultConfig = {};
  private random: () => number = Math.random;
  private remaining = new Map<FaultRule, number>();

  constructor(config: FaultConfig = {}) {
    this.configure(config);
  }

  configure(config: FaultConfig): void {
    this.config = faultConfigSchema.parse(config);
    this.random = seededRandom(this.config.seed ?? Date.now());
    this.remaining = new Map();
  }

  current(): FaultConfig {
    return this.config;
  }

  decide(path: string, headerRule: FaultRule | undefined): FaultDecision {
    const rule = headerRule ?? this.takeRule(this.config.paths?.[path]) ?? this.takeRule(this.config.global);
    let kind = rule?.kind;
    if (!kind && this.config.failRate !== undefined && this.config.failRate > 0) {
      if (this.random() < this.config.failRate) {
        const kinds = this.config.failKinds ?? DEFAULT_FAIL_KINDS;
        kind = kinds[Math.floor(this.random() * kinds.length)];
      }
    }
    // A bare "latency" rule with no figure still has to be felt: one second, like a slow FBR gateway.
    const ruleLatency = rule?.kind === "latency" && rule.latencyMs === undefined ? 1000 : rule?.latencyMs;
    const delayMs = this.pickDelay(this.config.latencyMs) + this.pickDelay(ruleLatency);
    return {
      kind: kind === "latency" ? undefined : kind,
      delayMs,
      retryAfterSeconds: rule?.retryAfterSeconds ?? 1,
      htmlStatus: rule?.status ?? 502,
    };
  }

  private takeRule(rule: FaultRule | undefined): FaultRule | undefined {
    if (!rule) return undefined;
    if (rule.times === undefined) return rule;
    const left = this.remaining.get(rule) ?? rule.times;
    if (left <= 0) return undefined;
    this.remaining.set(rule, left - 1);
    return rule;
  }

  private pickDelay(latency: number | [number, number] | undefined): number {
    if (latency === undefined) return 0;
    if (typeof latency === "number") return latency;
    const [min, max] = latency;
    return min + Math.floor(this.random() * (max - min + 1));
  }
}
