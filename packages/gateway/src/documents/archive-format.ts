// The 6-year archive file (issue 9; Sales Tax Act 1990 s.24 asks records to be kept six years after the end
// of the tax period). One self-contained file, JSON Lines, so it streams both ways and any text tool reads it:
//
//   line 1 .. n-1   one entry each: {"path": "...", "content": "..."}  (content: the exact text, UTF-8)
//   line n          {"manifest": "<canonical JSON of ArchiveManifest>", "signature": "<Ed25519, base64url>"}
//
// The manifest lists every entry with the SHA-256 and length of its content bytes and is signed with the
// records key (records/keys.ts, the key that signs invoice seals), so `raseed archive verify` checks the
// file with no database: a changed, missing or extra entry is named, and a changed manifest fails its
// signature. The manifest carries the public key; compare its key id with `raseed audit public-key` (or pass
// --public-key) to know who signed it. Documented in docs/records.md.
import { createHash } from "node:crypto";
import { z } from "zod";

export const ARCHIVE_FORMAT = "raseed-archive";
export const ARCHIVE_VERSION = 1;

export const archiveEntrySchema = z.strictObject({ path: z.string().min(1), content: z.string() });
export type ArchiveEntry = z.infer<typeof archiveEntrySchema>;

export const archiveManifestSchema = z.strictObject({
  format: z.literal(ARCHIVE_FORMAT),
  version: z.literal(ARCHIVE_VERSION),
  createdAt: z.string(),
  tenant: z.strictObject({ id: z.string(), ntn: z.string(), name: z.string() }),
  /** Invoice dates (Pakistan time), both inclusive. */
  period: z.strictObject({ from: z.string(), to: z.string() }),
  /** "json" always; "json+xml" when each invoice is also rendered as XML (for archive systems). */
  renderings: z.enum(["json", "json+xml"]),
  invoices: z.number().int().nonnegative(),
  keyId: z.string(),
  /** The raw 32-byte Ed25519 public key, base64. */
  publicKey: z.string(),
  entries: z.array(z.strictObject({ path: z.string(), sha256: z.string(), bytes: z.number().int() })),
});
export type ArchiveManifest = z.infer<typeof archiveManifestSchema>;

export const archiveTrailerSchema = z.strictObject({ manifest: z.string(), signature: z.string() });

export function contentDigest(content: string): { sha256: string; bytes: number } {
  const bytes = Buffer.from(content, "utf8");
  return { sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length };
}
