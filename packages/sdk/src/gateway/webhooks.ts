// Verifying the gateway's webhook deliveries on the receiving side. Each delivery carries
// `Raseed-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (docs/api.md).
import { createHmac, timingSafeEqual } from "node:crypto";

export interface VerifySignatureOptions {
  /** How old (or how far in the future) a delivery's timestamp may be; default 300 s, against replays. */
  toleranceSeconds?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/**
 * True when `header` (the Raseed-Signature value) signs `rawBody` (the bytes exactly as received, before any
 * JSON parsing) with `secret`, within the tolerance. The MACs are compared in constant time.
 */
export function verifyWebhookSignature(
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
  options: VerifySignatureOptions = {},
): boolean {
  if (typeof header !== "string" || secret === "") return false;
  const parts = new Map(
    header.split(",").map((part) => part.trim().split("=", 2) as [string, string | undefined]),
  );
  const timestamp = Number(parts.get("t"));
  const given = parts.get("v1");
  const nowMs = (options.now ?? Date.now)();
  if (
    !Number.isInteger(timestamp) ||
    Math.abs(nowMs / 1000 - timestamp) > (options.toleranceSeconds ?? 300)
  ) {
    return false;
  }
  if (given === undefined || !/^[0-9a-f]{64}$/.test(given)) return false;
  const body = typeof rawBody === "string" ? rawBody : Buffer.from(rawBody).toString("utf8");
  const expected = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest();
  return timingSafeEqual(Buffer.from(given, "hex"), expected);
}
