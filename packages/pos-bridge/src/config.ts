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

/** Command-line flags, as commander hands them over (all optional strings): `bridgeFlagsSchema`. */
export type BridgeFlags = z.input<typeof bridgeFlagsSchema>;

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
 * layering, by the one schema each setting has (SETTINGS below), with the file key named in the message; the
 * file's shape, its tills and its receipt block are checked here, once.
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
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new BridgeConfigError(`config file ${path} must hold one JSON object`);
  const result = bridgeConfigFileSchema.safeParse(parsed);
  if (!result.success) throw new BridgeConfigError(`config file ${path}: ${fileProblems(result.error)}`);
  return result.data;
}

// -- one schema per setting, whichever source gives it -----------------------------------------------------
// A flag and a variable are text, a file value is JSON: each schema takes both and says, in one phrase, what
// it wants. The loader puts the source's own name in front ("--port", "RASEED_POS_BRIDGE_PORT", "port in
// <file>"), so a person knows exactly which value to fix; a secret's value is never repeated.

const text = z.string({ error: "must be non-empty text" }).trim().min(1, "must be non-empty text");

function wholeNumber(min: number, max: number) {
  const wants = `must be a whole number from ${min} to ${max}`;
  return z
    .union(
      [
        z.number({ error: wants }),
        z
          .string({ error: wants })
          .trim()
          .regex(/^-?\d+$/, wants),
      ],
      {
        error: wants,
      },
    )
    .transform(Number)
    .pipe(z.number().int(wants).min(min, wants).max(max, wants));
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, wants: string) {
  return z.enum(values, { error: wants });
}

const upstreamSetting = text.refine((value) => value === "fbr" || /^https?:\/\//i.test(value), {
  error: 'must be "fbr" or a gateway URL (http:// or https://)',
});

const baseUrlSetting = text
  .transform((value) => value.replace(/\/+$/, ""))
  .refine((value) => /^https?:\/\/[^/]+/i.test(value), {
    error: "must be a base URL such as http://127.0.0.1:8244",
  });

/** Every setting that flags, the environment or the file can give, with where each comes from. */
const SETTINGS = {
  host: { flag: "host", env: "HOST", schema: text },
  port: { flag: "port", env: "PORT", schema: wholeNumber(0, 65_535) },
  dataDir: { flag: "dataDir", env: "DATA_DIR", schema: text },
  environment: {
    flag: "env",
    env: "ENV",
    schema: oneOf(["sandbox", "production"], "must be sandbox or production"),
  },
  imsAuthority: {
    flag: "imsAuthority",
    env: "IMS_AUTHORITY",
    schema: oneOf(["fbr", "pra"], "must be fbr or pra (Punjab Revenue Authority)"),
  },
  upstream: { flag: "upstream", env: "UPSTREAM", schema: upstreamSetting },
  gatewayApiKey: { flag: "apiKey", env: "GATEWAY_API_KEY", schema: text, secret: true },
  fbrUrl: { flag: "fbrUrl", env: "FBR_URL", schema: baseUrlSetting },
  tillTimeoutMs: { flag: "tillTimeout", env: "TILL_TIMEOUT_MS", schema: wholeNumber(50, 60_000) },
  uploadTimeoutMs: { env: "UPLOAD_TIMEOUT_MS", schema: wholeNumber(100, 600_000) },
  maxBackoffMs: { env: "MAX_BACKOFF_MS", schema: wholeNumber(10, 24 * 3600_000) },
  pollIntervalMs: { env: "POLL_INTERVAL_MS", schema: wholeNumber(10, 3600_000) },
  uploadConcurrency: { env: "UPLOAD_CONCURRENCY", schema: wholeNumber(1, 64) },
  backlogWarningMs: { env: "BACKLOG_WARNING_MS", schema: wholeNumber(1000, 7 * 24 * 3600_000) },
  backlogCheckIntervalMs: { env: "BACKLOG_CHECK_INTERVAL_MS", schema: wholeNumber(100, 24 * 3600_000) },
  bodyLimitBytes: { env: "BODY_LIMIT_BYTES", schema: wholeNumber(1024, 16 * 1024 * 1024) },
  journalSync: { env: "JOURNAL_SYNC", schema: oneOf(["full", "normal"], "must be full or normal") },
  logLevel: {
    env: "LOG_LEVEL",
    schema: oneOf(["debug", "info", "warn", "error", "silent"], "must be debug, info, warn, error or silent"),
  },
} as const satisfies Record<
  string,
  { flag?: keyof BridgeFlags; env: string; schema: z.ZodType; secret?: boolean }
>;
type SettingName = keyof typeof SETTINGS;

const ENV_PREFIX = "RASEED_POS_BRIDGE_";

/** The variables the bridge reads: each setting's, one till's (POS_ID, TOKEN) and the file's (CONFIG). */
const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.values(SETTINGS).map((setting) => `${ENV_PREFIX}${setting.env}`),
  `${ENV_PREFIX}POS_ID`,
  `${ENV_PREFIX}TOKEN`,
  `${ENV_PREFIX}CONFIG`,
]);

/**
 * The flags, as commander hands them over: text or nothing, and only the bridge's own (a flag the CLI does
 * not know is commander's "unknown option"; one that reaches here unknown is a wiring mistake).
 */
const bridgeFlagsSchema = z.strictObject({
  port: z.string().optional(),
  host: z.string().optional(),
  dataDir: z.string().optional(),
  config: z.string().optional(),
  posId: z.string().optional(),
  /** The till's FBR IMS token; prefer RASEED_POS_BRIDGE_TOKEN (argv is visible in `ps`). */
  token: z.string().optional(),
  env: z.string().optional(),
  /** fbr or pra: the revenue authority the tills report to. */
  imsAuthority: z.string().optional(),
  upstream: z.string().optional(),
  /** The gateway API key (with a gateway upstream); prefer RASEED_POS_BRIDGE_GATEWAY_API_KEY. */
  apiKey: z.string().optional(),
  fbrUrl: z.string().optional(),
  tillTimeout: z.string().optional(),
});

/** A flag's name as typed: `tillTimeout` -> `--till-timeout`. */
function flagName(flag: string): string {
  return `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * A RASEED_POS_BRIDGE_* variable the bridge does not read is refused by name: a typo such as
 * RASEED_POS_BRIDGE_TILL_TIMEOUT (for _TILL_TIMEOUT_MS) would otherwise be silently ignored.
 */
function checkVariables(env: NodeJS.ProcessEnv): void {
  const unknown = Object.keys(env).filter(
    (name) => name.startsWith(ENV_PREFIX) && !KNOWN_VARIABLES.has(name),
  );
  if (unknown.length > 0) {
    throw new BridgeConfigError(
      `unknown environment variable ${unknown.join(", ")}; the bridge reads ${[...KNOWN_VARIABLES].sort().join(", ")}`,
    );
  }
}

/** One value and where it came from, for the error message. */
interface Given {
  value: unknown;
  source: string;
}

/** The value of one setting by precedence (flag > environment > file), or undefined when none gives it. */
function given(
  name: SettingName,
  flags: BridgeFlags,
  env: NodeJS.ProcessEnv,
  file: ConfigFile,
  configPath: string | undefined,
): Given | undefined {
  const setting: { flag?: keyof BridgeFlags; env: string } = SETTINGS[name];
  const flag = setting.flag === undefined ? undefined : flags[setting.flag];
  if (setting.flag !== undefined && flag !== undefined)
    return { value: flag, source: flagName(setting.flag) };
  const variable = `${ENV_PREFIX}${setting.env}`;
  if (env[variable] !== undefined) return { value: env[variable], source: variable };
  if (file[name] !== undefined) return { value: file[name], source: `${name} in ${configPath}` };
  return undefined;
}

/** Checks one value against its setting's schema; the message names the source and, unless secret, the value. */
function parseSetting<N extends SettingName>(
  name: N,
  found: Given,
): z.output<(typeof SETTINGS)[N]["schema"]> {
  const setting: { schema: z.ZodType; secret?: boolean } = SETTINGS[name];
  const result = setting.schema.safeParse(found.value);
  if (result.success) return result.data as z.output<(typeof SETTINGS)[N]["schema"]>;
  const wants = result.error.issues[0]?.message ?? "is not valid";
  const got = setting.secret === true ? "" : `; got ${JSON.stringify(found.value)}`;
  throw new BridgeConfigError(`${found.source} ${wants}${got}`);
}

function parseTill(raw: z.output<typeof tillFileSchema>, where: string, tokenRequired: boolean): TillConfig {
  const till: TillConfig = {
    posId: checked(posIdSchema, raw.posId, `${where}.posId`),
    // Through a gateway the IMS token lives at the gateway (`raseed tenant add-pos`), not here.
    token: tokenRequired || raw.token !== undefined ? checked(text, raw.token, `${where}.token`, true) : "",
  };
  if (raw.port !== undefined) till.port = checked(wholeNumber(0, 65_535), raw.port, `${where}.port`);
  return till;
}

/** A POSID: FBR's POS registration number, a positive whole number. */
const posIdSchema = wholeNumber(1, Number.MAX_SAFE_INTEGER);

function checked<T extends z.ZodType>(
  schema: T,
  value: unknown,
  source: string,
  secret = false,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const wants = result.error.issues[0]?.message ?? "is not valid";
  throw new BridgeConfigError(`${source} ${wants}${secret ? "" : `; got ${JSON.stringify(value)}`}`);
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
 * that precedence, each value checked by its setting's zod schema. Throws `BridgeConfigError` with a
 * one-line reason naming the flag, variable or file key to fix.
 */
export function loadBridgeConfig(
  flagsGiven: BridgeFlags,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<BridgeConfig> {
  const flagsResult = bridgeFlagsSchema.safeParse(flagsGiven);
  if (!flagsResult.success) {
    throw new BridgeConfigError(`unknown or malformed flags: ${fileProblems(flagsResult.error)}`);
  }
  const flags = flagsResult.data;
  checkVariables(env);
  const configPath = flags.config ?? env.RASEED_POS_BRIDGE_CONFIG;
  const file: ConfigFile = configPath === undefined ? {} : readConfigFile(resolve(configPath));
  const setting = <N extends SettingName>(name: N): z.output<(typeof SETTINGS)[N]["schema"]> | undefined => {
    const found = given(name, flags, env, file, configPath);
    return found === undefined ? undefined : parseSetting(name, found);
  };
  const withDefault = <N extends keyof typeof DEFAULT_BRIDGE_CONFIG & SettingName>(name: N) =>
    setting(name) ?? parseSetting(name, { value: DEFAULT_BRIDGE_CONFIG[name], source: name });

  const upstream = withDefault("upstream");
  const viaGateway = upstream !== "fbr";
  const gatewayApiKey = setting("gatewayApiKey");
  if (viaGateway && gatewayApiKey === undefined) {
    throw new BridgeConfigError(
      "a gateway upstream needs an API key: --api-key, RASEED_POS_BRIDGE_GATEWAY_API_KEY or gatewayApiKey",
    );
  }
  const fbrUrl = setting("fbrUrl");

  // Tills: the file's list, or one till from --pos-id/--token (flags and environment replace the file's list).
  const posIdGiven: Given | undefined =
    flags.posId !== undefined
      ? { value: flags.posId, source: "--pos-id" }
      : env.RASEED_POS_BRIDGE_POS_ID !== undefined
        ? { value: env.RASEED_POS_BRIDGE_POS_ID, source: "RASEED_POS_BRIDGE_POS_ID" }
        : undefined;
  const tokenGiven: Given | undefined =
    flags.token !== undefined
      ? { value: flags.token, source: "--token" }
      : env.RASEED_POS_BRIDGE_TOKEN !== undefined
        ? { value: env.RASEED_POS_BRIDGE_TOKEN, source: "RASEED_POS_BRIDGE_TOKEN" }
        : undefined;
  let tills: TillConfig[];
  if (posIdGiven !== undefined || tokenGiven !== undefined) {
    if (posIdGiven === undefined || (tokenGiven === undefined && !viaGateway)) {
      throw new BridgeConfigError(
        "--pos-id and --token go together (or RASEED_POS_BRIDGE_POS_ID and _TOKEN)",
      );
    }
    tills = [
      {
        posId: checked(posIdSchema, posIdGiven.value, posIdGiven.source),
        token: tokenGiven === undefined ? "" : checked(text, tokenGiven.value, tokenGiven.source, true),
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

  const config: BridgeConfig = {
    host: withDefault("host"),
    port: withDefault("port"),
    dataDir: resolve(withDefault("dataDir")),
    environment: withDefault("environment"),
    imsAuthority: withDefault("imsAuthority"),
    upstream,
    tills,
    tillTimeoutMs: withDefault("tillTimeoutMs"),
    uploadTimeoutMs: withDefault("uploadTimeoutMs"),
    maxBackoffMs: withDefault("maxBackoffMs"),
    pollIntervalMs: withDefault("pollIntervalMs"),
    uploadConcurrency: withDefault("uploadConcurrency"),
    backlogWarningMs: withDefault("backlogWarningMs"),
    backlogCheckIntervalMs: withDefault("backlogCheckIntervalMs"),
    bodyLimitBytes: withDefault("bodyLimitBytes"),
    journalSync: withDefault("journalSync"),
    logLevel: withDefault("logLevel"),
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
  // The file is read only when neither the flag nor the variable names the folder.
  const direct = given("dataDir", flags, env, {}, undefined);
  if (direct !== undefined) return resolve(parseSetting("dataDir", direct));
  const configPath = flags.config ?? env.RASEED_POS_BRIDGE_CONFIG;
  const file = configPath === undefined ? {} : readConfigFile(resolve(configPath));
  const found = given("dataDir", flags, env, file, configPath) ?? {
    value: DEFAULT_BRIDGE_CONFIG.dataDir,
    source: "dataDir",
  };
  return resolve(parseSetting("dataDir", found));
}
