// The keys that make Raseed's records tamper-evident, all derived from the master key (HKDF-SHA256), so
// they live exactly where the master key lives (`<dataDir>/master.key` or RASEED_MASTER_KEY), exist from the
// first start, are the same on every gateway instance sharing a PostgreSQL, and are backed up with it.
// Someone who can write the database but does not hold the master key can neither sign a seal nor
// recompute the audit chain's MACs.
import { createHash, createPrivateKey, createPublicKey, hkdfSync, type KeyObject, sign } from "node:crypto";

/** PKCS#8 DER prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
/** SPKI DER prefix of an Ed25519 public key (RFC 8410); the raw 32-byte key follows it. */
export const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export interface RecordKeys {
  /** Ed25519 key that signs invoice seals. */
  sealPrivateKey: KeyObject;
  sealPublicKey: KeyObject;
  /** First 16 hex digits of SHA-256 over the raw 32-byte public key: names the key in every seal. */
  sealKeyId: string;
  /** HMAC-SHA256 key of the audit chain. */
  chainKey: Buffer;
}

function derive(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(
    hkdfSync("sha256", masterKey, Buffer.from("raseed records v1"), Buffer.from(purpose), 32),
  );
}

export function deriveRecordKeys(masterKey: Buffer): RecordKeys {
  const seed = derive(masterKey, "invoice seal ed25519");
  const sealPrivateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const sealPublicKey = createPublicKey(sealPrivateKey);
  return {
    sealPrivateKey,
    sealPublicKey,
    sealKeyId: publicKeyId(sealPublicKey),
    chainKey: derive(masterKey, "audit chain hmac"),
  };
}

/** The raw 32-byte Ed25519 public key (the last 32 bytes of its SPKI DER). */
export function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: "der", type: "spki" }).subarray(-32);
}

export function publicKeyId(key: KeyObject): string {
  return createHash("sha256").update(rawPublicKey(key)).digest("hex").slice(0, 16);
}

/** The public key as PEM, for `raseed seal public-key` and for anyone checking a seal without Raseed. */
export function publicKeyPem(key: KeyObject): string {
  return key.export({ format: "pem", type: "spki" }).toString();
}

/** Ed25519 over the text's UTF-8 bytes, base64url: seals and archive manifests. */
export function signWithRecordKey(keys: RecordKeys, text: string): string {
  return sign(null, Buffer.from(text, "utf8"), keys.sealPrivateKey).toString("base64url");
}

/**
 * `signWithRecordKey` in libuv's thread pool: the worker seals every invoice FBR accepts, and the
 * signature was ~6% of its event loop at concurrency 64 (issue 11); here the loop spends ~11 us, not ~44.
 */
export function signWithRecordKeyOffLoop(keys: RecordKeys, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    sign(null, Buffer.from(text, "utf8"), keys.sealPrivateKey, (error, signature) => {
      if (error !== null) reject(error);
      else resolve(signature.toString("base64url"));
    });
  });
}
