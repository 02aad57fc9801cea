// Password hashing for people (never for API keys, which are random and hashed with SHA-256). scrypt is
// memory-hard and built into Node, so no native dependency is needed. The parameters travel with each hash,
// so they can be raised later without invalidating stored passwords.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** N=2^15, r=8: 32 MiB and roughly 50-100 ms per hash on a small server (OWASP's scrypt floor is N=2^17 with r=8, p=1; 2^15 keeps sign-in quick on 2-core boxes while staying memory-hard). */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scryptAsync(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize("NFKC"),
      salt,
      KEY_LENGTH,
      { ...params, maxmem: 256 * params.N * params.r },
      (error, key) => (error === null ? resolve(key) : reject(error)),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, COST);
  return ["scrypt", COST.N, COST.r, COST.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, "base64url");
  const key = await scryptAsync(password, Buffer.from(salt, "base64url"), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let decoy: Promise<string> | undefined;
/** A hash of a random password: sign-in with an unknown email costs the same time as with a known one. */
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString("hex"));
  return decoy;
}

/** 20 characters from a 56-letter alphabet without look-alikes (about 116 bits). */
export function generatePassword(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = randomBytes(40);
  let out = "";
  for (const byte of bytes) {
    // Rejection sampling keeps every letter equally likely (256 is not a multiple of 56).
    if (byte >= 224) continue;
    out += alphabet[byte % alphabet.length];
    if (out.length === 20) break;
  }
  return out.length === 20 ? out : generatePassword();
}

/** The minimum a person-chosen password must meet (NIST SP 800-63B: length over composition rules). */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 12) return "a password needs at least 12 characters";
  if (password.length > 1024) return "a password may have at most 1024 characters";
  return undefined;
}
