// FBR tokens and webhook secrets at rest: AES-256-GCM under one master key, each ciphertext bound to
// its owner (tenant or webhook id) as associated data so a row's secret cannot be swapped into another row.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const VERSION = "v1";

export class MasterKeyError extends Error {
  override readonly name = "MasterKeyError";
}

/** Accepts 64 hex characters or base64 of 32 bytes. */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : Buffer.from(trimmed, "base64");
  if (key.length !== 32) throw new MasterKeyError("the master key must be 32 bytes (64 hex chars or base64)");
  return key;
}

/**
 * The configured key (RASEED_MASTER_KEY) wins; otherwise `<dataDir>/master.key` is read, or created on
 * first run readable by the owner only (0600).
 */
export function loadMasterKey(options: { masterKey?: string | undefined; dataDir: string }): Buffer {
  if (options.masterKey !== undefined) return parseMasterKey(options.masterKey);
  const file = join(options.dataDir, "master.key");
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    try {
      // "wx": never overwrite a key another process created a moment ago.
      writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) chmodSync(file, 0o600);
  return parseMasterKey(readFileSync(file, "utf8"));
}

export function encryptSecret(masterKey: Buffer, plaintext: string, boundTo: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", masterKey, iv);
  cipher.setAAD(Buffer.from(boundTo));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
}

export function decryptSecret(masterKey: Buffer, sealed: string, boundTo: string): string {
  const [version, payload] = sealed.split(":");
  if (version !== VERSION || payload === undefined) throw new MasterKeyError("unknown secret format");
  const raw = Buffer.from(payload, "base64");
  const decipher = createDecipheriv("aes-256-gcm", masterKey, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    throw new MasterKeyError("cannot decrypt a stored secret: wrong master key or tampered data");
  }
}
