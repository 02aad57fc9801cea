import * as crypto from "node:crypto";
import { createHash, randomBytes } from "node:crypto";

// Random bytes are taken from a pool refilled 4 KiB at a time: one randomBytes call per id was ~2% of the
// gateway's CPU under ingest load (issue 11's profile). The bytes are the same CSPRNG's.
const POOL_SIZE = 4_096;
let pool = Buffer.alloc(0);
let poolOffset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/**
 * Time-ordered ids (`inv_0mhx3k2p1a3f...`): sorting by id sorts by creation (to the millisecond; ids of the same
 * millisecond sort randomly), which makes cursor paging cheap. `atMs` lets a caller that knows the row's
 * creation time (a test inserting rows "created" at given times) keep that order.
 */
export function newId(prefix: string, atMs: number = Date.now()): string {
  return `${prefix}_${atMs.toString(36).padStart(9, "0")}${randomHex(8)}`;
}

// crypto.hash (Node >= 20.12) hashes in one call without a Hash object; several hashes per submission
// (request, API key, audit entry) made the objects show in issue 11's profile. Older Node: createHash.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

export function sha256Hex(text: string): string {
  return oneShot !== undefined
    ? oneShot("sha256", text, "hex")
    : createHash("sha256").update(text).digest("hex");
}

export function nowIso(): string {
  return new Date().toISOString();
}
