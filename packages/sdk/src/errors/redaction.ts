// THE one redaction list of Raseed (STYLE.md principle 14). Logs, audit entries, stored attempts, error
// details and HTTP error envelopes all pass through `redactSecrets`, so adding a key here protects every
// one of them at once.

/** What a secret is replaced with. */
export const REDACTED = "[REDACTED]";

/**
 * Keys whose values are secrets, compared case-insensitively and ignoring "-" and "_" (so `fbr_token`,
 * `FBR-Token` and `fbrToken` are one key). A key also counts as secret when it merely CONTAINS one of
 * `SECRET_KEY_FRAGMENTS` (`encryptedFbrToken`, `x-api-key`, `clientSecret`).
 */
export const SECRET_KEYS: readonly string[] = Object.freeze([
  "authorization",
  "proxyAuthorization",
  "token",
  "accessToken",
  "refreshToken",
  "fbrToken",
  "sandboxToken",
  "productionToken",
  "apiKey",
  "xApiKey",
  "masterKey",
  "password",
  "passphrase",
  "secret",
  "clientSecret",
  "privateKey",
  "cookie",
  "setCookie",
]);

/** Substrings that make any key secret: a new `somethingToken` field is redacted without a code change. */
export const SECRET_KEY_FRAGMENTS: readonly string[] = Object.freeze([
  "authorization",
  "token",
  "apikey",
  "masterkey",
  "password",
  "passphrase",
  "secret",
  "privatekey",
  "cookie",
]);

const normalisedSecretKeys = new Set(SECRET_KEYS.map(normaliseKey));

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, "");
}

/**
 * Answers for keys already judged: every audit entry and log line asks about the same few keys (issue 11's
 * profile). Bounded, since keys can come from clients' JSON; past the bound keys are judged afresh.
 */
const judgedKeys = new Map<string, boolean>();
const JUDGED_KEYS_MAX = 4_096;

/** True when a value stored under `key` must never be shown. */
export function isSecretKey(key: string): boolean {
  const judged = judgedKeys.get(key);
  if (judged !== undefined) return judged;
  const normalised = normaliseKey(key);
  const secret =
    normalisedSecretKeys.has(normalised) ||
    SECRET_KEY_FRAGMENTS.some((fragment) => normalised.includes(fragment));
  if (judgedKeys.size < JUDGED_KEYS_MAX) judgedKeys.set(key, secret);
  return secret;
}

// `Authorization: Bearer <token>` is how DI and IMS authenticate (FBR-SPEC §1); the scheme word may appear
// inside any free text (an error message, a curl line, a logged header), so it is scrubbed wherever it is.
const BEARER_PATTERN = /\b(Bearer)\s+(?!\[REDACTED\])[A-Za-z0-9\-._~+/=:]+/gi;
const BEARER_WORD = /bearer/i;
// `"token":"abc"`, `token=abc`, `apiKey: abc` inside a string (a body or a query string that was logged).
// The key is bounded (≤ 64 chars, starting at a word boundary) so the scan stays linear on long bodies.
const INLINE_PAIR_PATTERN =
  /(["']?)\b([A-Za-z][A-Za-z0-9_-]{0,63})\1(\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&"'}]+)/g;

/**
 * What any secret `redactText` or `redactSecrets` acts on needs somewhere in a text once "-", "_" and white
 * space are left out and letters lowered: a secret key's name (SECRET_KEY_FRAGMENTS covers every entry of
 * SECRET_KEYS) or the word Bearer. A JSON string can spell a key with escapes (`\u0074oken`), so a text with
 * a backslash is never taken as clean.
 */
const MAY_HOLD_SECRET = new RegExp(`[\\\\]|${[...SECRET_KEY_FRAGMENTS, "bearer"].join("|")}`);

/**
 * False when `text` cannot hold a secret that `redactText` (or `redactSecrets`, once parsed) would remove,
 * literal `knownSecrets` aside: no key of the redaction list and no "Bearer" in it. FBR's answers and
 * invoices pass this test, so they need not be scanned pair by pair (issue 11).
 */
export function mayHoldSecret(text: string): boolean {
  return MAY_HOLD_SECRET.test(text.toLowerCase().replace(/[-_\s]/g, ""));
}

/** Options for `redactSecrets`. */
export interface RedactOptions {
  /**
   * Literal secret values to remove wherever they appear, e.g. the token a client was built with. This
   * catches a secret that turns up under an innocent key or inside a message.
   */
  knownSecrets?: readonly string[];
}

/**
 * Scrubs secrets out of a string: `Bearer <token>`, `key=value` and
 * `"key":"value"` pairs whose key is secret, and any of `knownSecrets`.
 * @example redactText("Authorization: Bearer abc.def") // "Authorization: Bearer [REDACTED]"
 */
export function redactText(text: string, options: RedactOptions = {}): string {
  let out = text;
  for (const secret of options.knownSecrets ?? []) {
    // Very short "secrets" would shred ordinary text; real tokens are long.
    if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  // Both patterns below need a "Bearer" or a ":" / "=" separator; most texts (ids, hashes, names) have none.
  if (!out.includes(":") && !out.includes("=") && !BEARER_WORD.test(out)) return out;
  if (!mayHoldSecret(out)) return out;
  out = out.replace(BEARER_PATTERN, (_match, scheme: string) => `${scheme} ${REDACTED}`);
  out = out.replace(
    INLINE_PAIR_PATTERN,
    (match: string, quote: string, key: string, separator: string, value: string) => {
      if (!isSecretKey(key)) return match;
      // "Authorization: Bearer [REDACTED]" is already safe and reads better left alone.
      if (/^bearer$/i.test(value) || value === REDACTED || value === `"${REDACTED}"`) return match;
      const quotedValue = value.startsWith('"') ? `"${REDACTED}"` : REDACTED;
      return `${quote}${key}${quote}${separator}${quotedValue}`;
    },
  );
  return out;
}

/**
 * Returns a deep copy of `value` that is safe to log, store or show: values under secret keys (see
 * `SECRET_KEYS`, matched case-insensitively at any depth) become "[REDACTED]", strings are scrubbed with
 * `redactText`, Errors become plain `{ name, message, code?, cause? }` objects, fetch `Headers` and `Map`s
 * become objects, and cycles become "[Circular]". The input is never modified.
 * @example redactSecrets({ headers: { Authorization: "Bearer x" }, fbrToken: "x" })
 * // { headers: { Authorization: "[REDACTED]" }, fbrToken: "[REDACTED]" }
 */
export function redactSecrets<T>(value: T, options: RedactOptions = {}): T {
  return redactValue(value, options, new WeakSet()) as T;
}

function redactValue(value: unknown, options: RedactOptions, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return redactText(value, options);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} of ${value.byteLength} bytes]`;
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((entry) => redactValue(entry, options, seen));
    if (value instanceof Error) return redactError(value, options, seen);
    if (typeof Headers !== "undefined" && value instanceof Headers) {
      return redactEntries(value.entries(), options, seen);
    }
    if (value instanceof Map) return redactEntries(value.entries(), options, seen);
    if (value instanceof Set) return [...value].map((entry) => redactValue(entry, options, seen));
    return redactEntries(Object.entries(value), options, seen);
  } finally {
    // Shared (non-cyclic) references are fine to visit again; only an ancestor is a cycle.
    seen.delete(value);
  }
}

function redactEntries(
  entries: Iterable<[unknown, unknown]>,
  options: RedactOptions,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, entry] of entries) {
    const key = String(rawKey);
    out[key] =
      isSecretKey(key) && entry !== null && entry !== undefined
        ? REDACTED
        : redactValue(entry, options, seen);
  }
  return out;
}

function redactError(error: Error, options: RedactOptions, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactText(error.message, options) };
  const extra = redactEntries(Object.entries(error), options, seen);
  for (const [key, entry] of Object.entries(extra)) if (!(key in out)) out[key] = entry;
  if (error.cause !== undefined) out.cause = redactValue(error.cause, options, seen);
  return out;
}
