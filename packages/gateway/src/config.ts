// One schema, one loader, one precedence: flag > env (RASEED_*) > config file > default.
// Validated once and frozen; unknown keys are refused by name (STYLE principle 11).
import { readFileSync } from "node:fs";
import { z } from "zod";

const booleanLike = z.union([
  z.boolean(),
  z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes"),
]);
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const gatewayConfigSchema = z.strictObject({
  /** TCP port for the HTTP API; 0 picks a free one. */
  port: integer(0, 65535).default(8080),
  /** Interface to bind; loopback by default so nothing is exposed by accident. */
  host: z.string().min(1).default("127.0.0.1"),
  /** Folder for the SQLite file, the master key file and demo files. */
  dataDir: z.string().min(1).default("./data"),
  /** A SQLite file path or a postgres:// URL; default `<dataDir>/raseed.db`. */
  db: z.string().min(1).optional(),
  /** FBR origin the worker posts to (replaced by the simulator's URL with withSimulator). */
  fbrUrl: z.url().default("https://gw.fbr.gov.pk"),
  /**
   * Outbound HTTP(S) proxy for every call to FBR (PRAL whitelists one public IP: route through the host that
   * has it), e.g. http://user:pass@relay.example:3128; "direct" turns an inherited HTTPS_PROXY off. Unset:
   * HTTPS_PROXY / https_proxy. Tenants may override it (`raseed tenant transport set --proxy`). Never logged.
   */
  fbrProxy: z.union([z.literal("direct"), z.url({ protocol: /^https?$/ })]).optional(),
  /** Hosts that bypass fbrProxy, comma separated, NO_PROXY syntax (`.example.com`, `10.0.0.1:8244`, `*`). */
  fbrNoProxy: z.string().optional(),
  /** Start the offline FBR simulator in-process and point fbrUrl at it. */
  withSimulator: booleanLike.default(false),
  /** Demo mode: simulator, demo tenant 7000007 and a demo API key. */
  demo: booleanLike.default(false),
  /** 32-byte master key (base64 or 64 hex chars); otherwise `<dataDir>/master.key` is used/created. */
  masterKey: z.string().min(1).optional(),
  /** Outbox rows in flight at once in this process. */
  workerConcurrency: integer(1, 1000).default(8),
  /** Outbox rows in flight at once per tenant in this process. */
  tenantConcurrency: integer(1, 1000).default(4),
  /**
   * Attempts recorded ahead of a free slot, so a slot's next post starts when FBR answers instead of
   * after a commit. A process killed may leave these in_doubt although never sent (docs/operations.md).
   */
  workerPrefetch: integer(0, 1000).default(0),
  /** How often the worker looks for due rows when idle. */
  pollIntervalMs: integer(5, 60_000).default(200),
  /**
   * How long a claim is valid without renewal. The worker renews the lease of a post in flight every
   * leaseMs/3; leaseMs must still exceed fbrTimeoutMs by LEASE_MARGIN_MS (checked at load) so one missed
   * renewal never lets a live post be recovered as abandoned.
   */
  leaseMs: integer(1_000, 3_600_000).default(90_000),
  /** Per-request timeout for FBR calls. */
  fbrTimeoutMs: integer(100, 600_000).default(30_000),
  /**
   * Attempts with a safe outcome (not sent / throttled) before an invoice becomes `failed`. High on
   * purpose: FBR outages last hours, and the circuit breaker already keeps a long outage from burning
   * attempts (while it is open only one probe is posted per cooldown).
   */
  maxAttempts: integer(1, 100_000).default(100),
  /** Ceiling on the backoff between safe retries. */
  maxRetryDelayMs: integer(0, 86_400_000).default(300_000),
  /** Consecutive FBR unavailability signals that open the circuit breaker. */
  breakerThreshold: integer(1, 1000).default(5),
  /** How long the breaker stays open before a single probe is let through. */
  breakerCooldownMs: integer(10, 3_600_000).default(5_000),
  /**
   * How long every call to FBR for a seller may fail without an answer before the incident register opens
   * "FBR unreachable" (records/incident-monitor.ts; the ops/ alert uses the same 10 minutes).
   */
  incidentUnreachableMs: integer(1_000, 86_400_000).default(600_000),
  /** SIGTERM: how long in-flight attempts may take to finish before the process exits. */
  drainTimeoutMs: integer(0, 600_000).default(15_000),
  /** Largest accepted request body. */
  bodyLimitBytes: integer(1_024, 50_000_000).default(1_048_576),
  /** Requests per minute per API key. */
  rateLimitPerMinute: integer(1, 1_000_000).default(1_200),
  /** Failed authentications (no key, unknown or revoked key) per client IP per minute before 429. */
  authFailuresPerMinute: integer(1, 1_000_000).default(30),
  /**
   * Allow webhook URLs on loopback, link-local and private addresses, and plain http (receivers inside the
   * operator's own network; tests). Off: https to public addresses only, checked at registration and delivery.
   */
  webhookAllowPrivateNetworks: booleanLike.default(false),
  /** Per-request timeout for webhook deliveries. */
  webhookTimeoutMs: integer(100, 120_000).default(10_000),
  /** First retry delay for a failed webhook delivery; doubles per try (capped at an hour). */
  webhookRetryBaseMs: integer(10, 3_600_000).default(2_000),
  /**
   * A PNG or JPEG printed in the logo slot of invoice PDFs (the operator's own artwork, e.g. the FBR
   * Digital Invoicing logo they were issued; Raseed ships none). Read and checked at start.
   */
  documentLogo: z.string().min(1).optional(),
  /** Dashboard sessions end after this many minutes without a request (people sign in again). */
  sessionIdleMinutes: integer(1, 1_440).default(30),
  /** Failed dashboard sign-ins per client address per minute before further tries are refused. */
  signInFailuresPerMinute: integer(1, 10_000).default(10),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/** How much longer than one FBR call a lease must last (settling the answer takes a commit). */
export const LEASE_MARGIN_MS = 2_000;

export type GatewayConfig = Readonly<z.output<typeof gatewayConfigSchema>>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const configKeys = Object.keys(gatewayConfigSchema.shape) as (keyof GatewayConfigInput)[];

/** `workerConcurrency` → `RASEED_WORKER_CONCURRENCY`. */
export function envNameFor(key: string): string {
  return `RASEED_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export interface LoadConfigSources {
  /** Command-line flags already parsed (undefined values are ignored). */
  flags?: Record<string, unknown>;
  /** Usually process.env; only the composition root passes it. */
  env?: Record<string, string | undefined>;
  /** Path of a JSON config file; `flags.config` or `RASEED_CONFIG` also name it. */
  configFile?: string;
}

/**
 * The proxy variables every HTTP tool reads (curl, npm, undici's EnvHttpProxyAgent), used when the RASEED_
 * name is unset: FBR is reached over https, so HTTPS_PROXY is the one that applies.
 */
const CONVENTIONAL_ENV: Partial<Record<string, readonly string[]>> = {
  fbrProxy: ["HTTPS_PROXY", "https_proxy"],
  fbrNoProxy: ["NO_PROXY", "no_proxy"],
};

function conventionalEnv(env: Record<string, string | undefined>, key: string): string | undefined {
  for (const name of CONVENTIONAL_ENV[key] ?? []) {
    const value = env[name];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

/** Merges the sources by precedence, validates once and freezes the result. */
export function loadConfig(sources: LoadConfigSources = {}): GatewayConfig {
  const flags = { ...(sources.flags ?? {}) };
  const env = sources.env ?? {};
  const configFile =
    sources.configFile ?? (typeof flags.config === "string" ? flags.config : undefined) ?? env.RASEED_CONFIG;
  delete flags.config;

  let fromFile: Record<string, unknown> = {};
  if (configFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(configFile, "utf8");
    } catch (error) {
      throw new ConfigError(
        `cannot read config file ${configFile}: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new ConfigError(`config file ${configFile} must hold a JSON object`);
      }
      fromFile = parsed as Record<string, unknown>;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`config file ${configFile} is not valid JSON: ${(error as Error).message}`);
    }
    for (const key of Object.keys(fromFile)) {
      if (!configKeys.includes(key as keyof GatewayConfigInput)) {
        throw new ConfigError(`unknown config key "${key}" in ${configFile}`);
      }
    }
  }

  const fromEnv: Record<string, unknown> = {};
  for (const key of configKeys) {
    const value = env[envNameFor(key)] ?? conventionalEnv(env, key);
    if (value !== undefined && value !== "") fromEnv[key] = value;
  }

  const fromFlags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    if (!configKeys.includes(key as keyof GatewayConfigInput)) {
      throw new ConfigError(`unknown config key "${key}"`);
    }
    fromFlags[key] = value;
  }

  const merged = { ...fromFile, ...fromEnv, ...fromFlags };
  const result = gatewayConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys") return `unknown config key(s): ${issue.keys.join(", ")}`;
      return `${issue.path.join(".") || "config"}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const config = result.data;
  if (config.leaseMs < config.fbrTimeoutMs + LEASE_MARGIN_MS) {
    throw new ConfigError(
      `invalid configuration: leaseMs (${config.leaseMs}) must be at least fbrTimeoutMs (${config.fbrTimeoutMs}) + ${LEASE_MARGIN_MS} ms, or a post still waiting for FBR could be recovered as abandoned`,
    );
  }
  return Object.freeze({ ...config });
}
