// The bridge's configuration: one schema, one loader, one precedence (flag > environment > file > default),
// validated once and frozen; unknown keys in the file are errors (STYLE.md principle 11). The file is read
// through one zod schema (`bridgeConfigFileSchema`), as the gateway's config is.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ImsAuthority } from "@raseed/sdk";
import { z } from "zod";

export type FbrEnvironment = "sandbox" | "production";

/** One till registered with FBR: its POSID and the access token FBR issued for it. */
export interface TillConfig {
  posId: number;
  token: string;
  /** Optional own listener: a POS pointed at this port is this till, whatever POSID it sends. */
  port?: number;
}

/** Business details printed on receipts (SRO 1006(I)/2021). */
export interface ReceiptConfig {
  businessName?: string;
  address?: string;
  ntn?: string;
  strn?: string;
  taxOffice?: string;
  /** A PNG of the FBR POS invoicing system logo the retailer obtained from FBR; Raseed ships none. */
  logoPath?: string;
  /** POS service fee per invoice (SRO 1279(I)/2021: Re.1), printed as a line. */
  serviceFee?: number;
  /** QR side in millimetres (SRO 1006(I)/2021 says 7; the default is 18, see receipts). */
  qrSizeMm?: number;
}

export interface BridgeConfig {
  host: string;
  port: number;
  dataDir: string;
  environment: FbrEnvironment;
  /**
   * The revenue authority the tills report to (spec/data/ims-authorities.json): "fbr" (default) or "pra"
   * (Punjab Revenue Authority). Picks the PostData hosts and the name and registration receipts print.
   */
  imsAuthority: ImsAuthority;
  /** "fbr" uploads to FBR's IMS cloud; a URL means a Raseed gateway (its POST /v1/ims/invoices). */
  upstream: string;
  /**
   * The gateway API key (invoices:write) when `upstream` is a gateway URL. The gateway holds the tills' IMS
   * tokens, so tills then need only their POSID. Never logged.
   */
  gatewayApiKey?: string;
  /** Replaces FBR's hosts for both environments (the simulator serves both IMS paths). */
  fbrUrl?: string;
  tills: TillConfig[];
  /** Longest the till waits for FBR before the provisional reply (FBR-SPEC §11; issue: default 4 s). */
  tillTimeoutMs: number;
  /** Longest one upload may take before it is in doubt. */
  uploadTimeoutMs: number;
  maxBackoffMs: number;
  pollIntervalMs: number;
  uploadConcurrency: number;
  /** Oldest unreported sale age that triggers a log warning; Rule 150XC allows 24 h, so warn earlier. */
  backlogWarningMs: number;
  backlogCheckIntervalMs: number;
  bodyLimitBytes: number;
  /** "full" (default): every commit fsynced, power-cut safe. "normal": process-crash safe only. */
  journalSync: "full" | "normal";
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  receipt: ReceiptConfig;
}

export class BridgeConfigError extends Error {
  override readonly name = "BridgeConfigError";
}

export const DEFAULT_BRIDGE_CONFIG = {
  host: "127.0.0.1",
  port: 8524,
  dataDir: "./data/pos-bridge",
  environment: "sandbox",
  imsAuthority: "fbr",
  upstream: "fbr",
  tillTimeoutMs: 4000,
  uploadTimeoutMs: 30_000,
  maxBackoffMs: 5 * 60_000,
  pollIntervalMs: 1000,
  uploadConcurrency: 4,
  backlogWarningMs: 20 * 60 * 60_000,
  backlogCheckIntervalMs: 60_000,
  bodyLimitBytes: 256 * 1024,
  journalSync: "full",
  logLevel: "info",
} as const satisfies Partial<BridgeConfig>;

/** Command-line flags, as commander hands them over (all optional strings). */
export interface BridgeFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  config?: string;
  posId?: string;
  token?: string;
  env?: string;
  /** fbr or pra: the revenue authority the tills report to. */
  imsAuthority?: string;
  upstream?: string;
  /** The gateway API key (with a gateway upstream); prefer RASEED_POS_BRIDGE_GATEWAY_API_KEY. */
  apiKey?: string;
  fbrUrl?: string;
  tillTimeout?: string;
}

const optionalText = z.string().trim().min(1, "must be non-empty text").optional();

/** One till in the file: its POSID, the token FBR issued for it (not with a gateway upstream), a port. */
const tillFileSchema = z.strictObject({
  posId: z.unknown(),
  token: z.unknown().optional(),
  port: z.unknown().optional(),
});

/** Business details printed on receipts (SRO 1006(I)/2021). */
const receiptFileSchema = z.strictObject({
  businessName: optionalText,
  address: optionalText,
  ntn: optionalText,
  strn: optionalText,
  taxOffice: optionalText,
  logoPath: optionalText,
  serviceFee: z
    .number({ error: "must be a number of rupees" })
    .min(0, "must be a number of rupees")
    .optional(),
  // The QR side the receipt renderer takes (5-40 mm; SRO 1006(I)/2021 says 7, the default is 18).
  qrSizeMm: z
    .number({ error: "must be a number of millimetres from 5 to 40" })
    .min(5, "must be a number of millimetres from 5 to 40")
    .max(40, "must be a number of millimetres from 5 to 40")
    .optional(),
});

/**
 * The JSON config file, key by key. Values that flags and the environment can also set are checked after
 * layering (below), with the flag's name in the message; the file's shape and its receipt block are
 * checked here, once.
 */
export const bridgeConfigFileSchema = z.strictObject({
  host: z.unknown().optional(),
  port: z.unknown().optional(),
  dataDir: z.unknown().optional(),
  environment: z.unknown().optional(),
  imsAuthority: z.unknown().optional(),
  upstream: z.unknown().optional(),
  gatewayApiKey: z.unknown().optional(),
  fbrUrl: z.unknown().optional(),
  tills: z.array(tillFileSchema, { error: "tills must be a list" }).optional(),
  tillTimeoutMs: z.unknown().optional(),
  uploadTimeoutMs: z.unknown().optional(),
  maxBackoffMs: z.unknown().optional(),
  pollIntervalMs: z.unknown().optional(),
  uploadConcurrency: z.unknown().optional(),
  backlogWarningMs: z.unknown().optional(),
  backlogCheckIntervalMs: z.unknown().optional(),
  bodyLimitBytes: z.unknown().optional(),
  journalSync: z.unknown().optional(),
  logLevel: z.unknown().optional(),
  receipt: receiptFileSchema.optional(),
});
type ConfigFile = z.output<typeof bridgeConfigFileSchema>;

/** zod's issues as one line: `receipt.qrSizeMm: must be ...`, `unknown setting "colour"`. */
function fileProblems(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`));
      const path = where.join("").replace(/^\./, "");
      if (issue.code === "unrecognized_keys")
        return issue.keys
          .map((key) => `${path === "" ? "" : `${path}: `}unknown setting "${key}"`)
          .join("; ");
      return `${path}: ${issue.message}`;
    })
    .join("; ");
}

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function integerSetting(value: unknown, name: string, min: number, max: number): number {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < min || number > max) {
    throw new BridgeConfigError(
      `${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

function stringSetting(value: unknown, name: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new BridgeConfigError(`${name} must be non-empty text`);
  }
  return value.trim();
}

function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new BridgeConfigError(
      `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BridgeConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(parsed)) throw new BridgeConfigError(`config file ${path} must hold one JSON object`);
  const result = bridgeConfigFileSchema.safeParse(parsed);
  if (!result.success) throw new BridgeConfigError(`config file ${path}: ${fileProblems(result.error)}`);
  return result.data;
}

function parseTill(raw: z.output<typeof tillFileSchema>, where: string, tokenRequired = true): TillConfig {
  const till: TillConfig = {
    posId: integerSetting(raw.posId, `${where}.posId`, 1, Number.MAX_SAFE_INTEGER),
    // Through a gateway the IMS token lives at the gateway (`raseed tenant add-pos`), not here.
    token: tokenRequired || raw.token !== undefined ? stringSetting(raw.token, `${where}.token`) : "",
  };
  if (raw.port !== undefined) till.port = integerSetting(raw.port, `${where}.port`, 0, 65_535);
  return till;
}

/** The file's receipt block, already checked by `receiptFileSchema`; only the set keys are kept. */
function parseReceipt(raw: ConfigFile["receipt"]): ReceiptConfig {
  const receipt: ReceiptConfig = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (value !== undefined) Object.assign(receipt, { [key]: value });
  }
  return receipt;
}

/**
 * Builds the configuration from flags, environment (`RASEED_POS_BRIDGE_*`) and an optional JSON file, in
 * that precedence. Throws `BridgeConfigError` with a one-line reason.
 */
export function loadBridgeConfig(
  flags: BridgeFlags,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<BridgeConfig> {
  const configPath = flags.config ?? env.RASEED_POS_BRIDGE_CONFIG;
  const file: ConfigFile = configPath === undefined ? {} : readConfigFile(resolve(configPath));
  const layered = (flag: string | undefined, envName: string, fileKey: keyof ConfigFile): unknown =>
    flag ?? env[envName] ?? file[fileKey];

  const environmentRaw =
    layered(flags.env, "RASEED_POS_BRIDGE_ENV", "environment") ?? DEFAULT_BRIDGE_CONFIG.environment;
  if (environmentRaw !== "sandbox" && environmentRaw !== "production") {
    throw new BridgeConfigError(`--env must be sandbox or production; got ${JSON.stringify(environmentRaw)}`);
  }
  const imsAuthority =
    layered(flags.imsAuthority, "RASEED_POS_BRIDGE_IMS_AUTHORITY", "imsAuthority") ??
    DEFAULT_BRIDGE_CONFIG.imsAuthority;
  if (imsAuthority !== "fbr" && imsAuthority !== "pra") {
    throw new BridgeConfigError(
      `--ims-authority must be fbr or pra (Punjab Revenue Authority); got ${JSON.stringify(imsAuthority)}`,
    );
  }
  const upstream = stringSetting(
    layered(flags.upstream, "RASEED_POS_BRIDGE_UPSTREAM", "upstream") ?? DEFAULT_BRIDGE_CONFIG.upstream,
    "--upstream",
  );
  if (upstream !== "fbr" && !/^https?:\/\//i.test(upstream)) {
    throw new BridgeConfigError(
      `--upstream must be "fbr" or a gateway URL (http:// or https://); got "${upstream}"`,
    );
  }
  const viaGateway = upstream !== "fbr";
  const gatewayApiKeyRaw = layered(flags.apiKey, "RASEED_POS_BRIDGE_GATEWAY_API_KEY", "gatewayApiKey");
  if (viaGateway && gatewayApiKeyRaw === undefined) {
    throw new BridgeConfigError(
      "a gateway upstream needs an API key: --api-key, RASEED_POS_BRIDGE_GATEWAY_API_KEY or gatewayApiKey",
    );
  }
  const gatewayApiKey =
    gatewayApiKeyRaw === undefined ? undefined : stringSetting(gatewayApiKeyRaw, "the gateway API key");
  const fbrUrlRaw = layered(flags.fbrUrl, "RASEED_POS_BRIDGE_FBR_URL", "fbrUrl");
  const fbrUrl =
    fbrUrlRaw === undefined ? undefined : stringSetting(fbrUrlRaw, "--fbr-url").replace(/\/+$/, "");
  if (fbrUrl !== undefined && !/^https?:\/\/[^/]+/i.test(fbrUrl)) {
    throw new BridgeConfigError(
      `--fbr-url must be a base URL such as http://127.0.0.1:8244; got "${fbrUrl}"`,
    );
  }

  // Tills: the file's list, or one till from --pos-id/--token (flags and environment replace the file's list).
  const posIdRaw = flags.posId ?? env.RASEED_POS_BRIDGE_POS_ID;
  const tokenRaw = flags.token ?? env.RASEED_POS_BRIDGE_TOKEN;
  let tills: TillConfig[];
  if (posIdRaw !== undefined || tokenRaw !== undefined) {
    if (posIdRaw === undefined || (tokenRaw === undefined && !viaGateway)) {
      throw new BridgeConfigError(
        "--pos-id and --token go together (or RASEED_POS_BRIDGE_POS_ID and _TOKEN)",
      );
    }
    tills = [
      {
        posId: integerSetting(posIdRaw, "--pos-id", 1, Number.MAX_SAFE_INTEGER),
        token: tokenRaw === undefined ? "" : stringSetting(tokenRaw, "--token"),
      },
    ];
  } else if (file.tills !== undefined) {
    tills = file.tills.map((till, index) => parseTill(till, `tills[${index}]`, !viaGateway));
  } else {
    tills = [];
  }
  if (tills.length === 0) {
    throw new BridgeConfigError("no till configured: pass --pos-id and --token, or list tills in --config");
  }
  const seen = new Set<number>();
  for (const till of tills) {
    if (seen.has(till.posId)) throw new BridgeConfigError(`POSID ${till.posId} is listed twice`);
    seen.add(till.posId);
  }

  const number = (
    flag: string | undefined,
    envName: string,
    key: keyof typeof DEFAULT_BRIDGE_CONFIG,
    min: number,
    max: number,
  ) => integerSetting(layered(flag, envName, key) ?? DEFAULT_BRIDGE_CONFIG[key], key, min, max);
  const logLevel =
    layered(undefined, "RASEED_POS_BRIDGE_LOG_LEVEL", "logLevel") ?? DEFAULT_BRIDGE_CONFIG.logLevel;
  if (!["debug", "info", "warn", "error", "silent"].includes(String(logLevel))) {
    throw new BridgeConfigError(
      `logLevel must be debug, info, warn, error or silent; got ${JSON.stringify(logLevel)}`,
    );
  }

  const journalSync =
    layered(undefined, "RASEED_POS_BRIDGE_JOURNAL_SYNC", "journalSync") ?? DEFAULT_BRIDGE_CONFIG.journalSync;
  if (journalSync !== "full" && journalSync !== "normal") {
    throw new BridgeConfigError(`journalSync must be full or normal; got ${JSON.stringify(journalSync)}`);
  }

  const config: BridgeConfig = {
    host: stringSetting(
      layered(flags.host, "RASEED_POS_BRIDGE_HOST", "host") ?? DEFAULT_BRIDGE_CONFIG.host,
      "--host",
    ),
    port: number(flags.port, "RASEED_POS_BRIDGE_PORT", "port", 0, 65_535),
    dataDir: resolve(
      stringSetting(
        layered(flags.dataDir, "RASEED_POS_BRIDGE_DATA_DIR", "dataDir") ?? DEFAULT_BRIDGE_CONFIG.dataDir,
        "--data-dir",
      ),
    ),
    environment: environmentRaw,
    imsAuthority,
    upstream,
    tills,
    tillTimeoutMs: number(
      flags.tillTimeout,
      "RASEED_POS_BRIDGE_TILL_TIMEOUT_MS",
      "tillTimeoutMs",
      50,
      60_000,
    ),
    uploadTimeoutMs: number(
      undefined,
      "RASEED_POS_BRIDGE_UPLOAD_TIMEOUT_MS",
      "uploadTimeoutMs",
      100,
      600_000,
    ),
    maxBackoffMs: number(undefined, "RASEED_POS_BRIDGE_MAX_BACKOFF_MS", "maxBackoffMs", 10, 24 * 3600_000),
    pollIntervalMs: number(undefined, "RASEED_POS_BRIDGE_POLL_INTERVAL_MS", "pollIntervalMs", 10, 3600_000),
    uploadConcurrency: number(undefined, "RASEED_POS_BRIDGE_UPLOAD_CONCURRENCY", "uploadConcurrency", 1, 64),
    backlogWarningMs: number(
      undefined,
      "RASEED_POS_BRIDGE_BACKLOG_WARNING_MS",
      "backlogWarningMs",
      1000,
      7 * 24 * 3600_000,
    ),
    backlogCheckIntervalMs: number(
      undefined,
      "RASEED_POS_BRIDGE_BACKLOG_CHECK_INTERVAL_MS",
      "backlogCheckIntervalMs",
      100,
      24 * 3600_000,
    ),
    bodyLimitBytes: number(
      undefined,
      "RASEED_POS_BRIDGE_BODY_LIMIT_BYTES",
      "bodyLimitBytes",
      1024,
      16 * 1024 * 1024,
    ),
    journalSync,
    logLevel: logLevel as BridgeConfig["logLevel"],
    receipt: parseReceipt(file.receipt),
  };
  if (fbrUrl !== undefined) config.fbrUrl = fbrUrl;
  if (gatewayApiKey !== undefined) config.gatewayApiKey = gatewayApiKey;
  for (const till of tills) Object.freeze(till);
  Object.freeze(config.tills);
  Object.freeze(config.receipt);
  return Object.freeze(config);
}

/**
 * The data folder alone, for `status` and `reconcile`, which need no till credentials: same precedence as
 * `loadBridgeConfig` (flag > environment > file > default).
 */
export function resolveBridgeDataDir(
  flags: Pick<BridgeFlags, "dataDir" | "config">,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (flags.dataDir !== undefined) return resolve(stringSetting(flags.dataDir, "--data-dir"));
  if (env.RASEED_POS_BRIDGE_DATA_DIR !== undefined)
    return resolve(stringSetting(env.RASEED_POS_BRIDGE_DATA_DIR, "RASEED_POS_BRIDGE_DATA_DIR"));
  const configPath = flags.config ?? env.RASEED_POS_BRIDGE_CONFIG;
  const file = configPath === undefined ? {} : readConfigFile(resolve(configPath));
  return resolve(stringSetting(file.dataDir ?? DEFAULT_BRIDGE_CONFIG.dataDir, "dataDir"));
}
