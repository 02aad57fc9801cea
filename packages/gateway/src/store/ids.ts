import { createHash, randomBytes } from "node:crypto";

/** Time-ordered ids (`inv_0mhx3k2p1a3f...`): sorting by id sorts by creation, which makes cursor paging cheap. */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, "0")}${randomBytes(8).toString("hex")}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function nowIso(): string {
  return new Date().toISOString();
}
