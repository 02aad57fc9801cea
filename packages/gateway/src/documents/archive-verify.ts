// `raseed archive verify <file>`: checks an archive with no database (format in archive-format.ts).
// Two streaming passes, so a large archive never has to fit in memory: the first finds the signed manifest
// (the last line), the second hashes every entry against it and checks each seal with the manifest's key.
// intact: every entry matches; damaged: each entry that does not is named; unreadable: not an archive at all.
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { entryHash } from "../audit/audit-log.ts";
import { ED25519_SPKI_PREFIX, publicKeyId } from "../records/keys.ts";
import type { SealRecord } from "../records/seals.ts";
import type { AuditRow } from "../store/schema.ts";
import {
  ARCHIVE_FORMAT,
  type ArchiveManifest,
  archiveEntrySchema,
  archiveManifestSchema,
  archiveTrailerSchema,
  contentDigest,
} from "./archive-format.ts";

export interface ArchiveFinding {
  /** The entry's path, "manifest", or "line N" when a line cannot be read at all. */
  entry: string;
  problem: string;
}

export type ArchiveVerdict =
  | { status: "intact"; manifest: ArchiveManifest; entries: number; seals: number; auditEntries: number }
  | { status: "damaged"; manifest: ArchiveManifest; findings: ArchiveFinding[] }
  | { status: "unreadable"; reason: string };

export interface VerifyArchiveOptions {
  /** Expected signer (PEM): without it the key inside the manifest is trusted and its id reported. */
  publicKeyPem?: string;
}

async function* lines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file, { encoding: "utf8" });
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of reader) yield line;
  } finally {
    reader.close();
    input.destroy();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function manifestKey(manifest: ArchiveManifest): KeyObject | undefined {
  const raw = Buffer.from(manifest.publicKey, "base64");
  // Node's decoder skips characters it does not know: insist on the one canonical spelling.
  if (raw.length !== 32 || raw.toString("base64") !== manifest.publicKey) return undefined;
  try {
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

function signatureHolds(key: KeyObject, text: string, signature: string): boolean {
  const bytes = Buffer.from(signature, "base64url");
  // A lenient decoder would read a signature with a changed unused bit, or a stray character, as the same.
  if (bytes.toString("base64url") !== signature) return false;
  try {
    return verify(null, Buffer.from(text, "utf8"), key, bytes);
  } catch {
    return false;
  }
}

/** Reads the trailer; anything short of a parseable, well-formed manifest makes the file unreadable. */
async function readTrailer(
  file: string,
): Promise<
  { manifestText: string; signature: string; manifest: ArchiveManifest; lineCount: number } | string
> {
  let last: string | undefined;
  let lineCount = 0;
  try {
    for await (const line of lines(file)) {
      lineCount += 1;
      if (line !== "") last = line;
    }
  } catch (error) {
    return `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
  if (last === undefined) return "the file is empty";
  const trailer = archiveTrailerSchema.safeParse(parseJson(last));
  if (!trailer.success)
    return `not a Raseed archive: its last line is not a signed ${ARCHIVE_FORMAT} manifest`;
  const manifest = archiveManifestSchema.safeParse(parseJson(trailer.data.manifest));
  if (!manifest.success) return `not a Raseed archive: the manifest is not a ${ARCHIVE_FORMAT} v1 manifest`;
  return {
    manifestText: trailer.data.manifest,
    signature: trailer.data.signature,
    manifest: manifest.data,
    lineCount,
  };
}

export async function verifyArchive(
  file: string,
  options: VerifyArchiveOptions = {},
): Promise<ArchiveVerdict> {
  const trailer = await readTrailer(file);
  if (typeof trailer === "string") return { status: "unreadable", reason: trailer };
  const { manifest } = trailer;
  const findings: ArchiveFinding[] = [];
  const key = manifestKey(manifest);
  if (key === undefined) {
    findings.push({ entry: "manifest", problem: "its public key is not an Ed25519 key" });
  } else {
    if (!signatureHolds(key, trailer.manifestText, trailer.signature))
      findings.push({ entry: "manifest", problem: "the signature does not verify (manifest altered)" });
    if (manifest.keyId !== publicKeyId(key))
      findings.push({ entry: "manifest", problem: `key id ${manifest.keyId} does not name its public key` });
    if (options.publicKeyPem !== undefined) {
      const expected = publicKeyId(createPublicKey(options.publicKeyPem));
      if (expected !== publicKeyId(key))
        findings.push({
          entry: "manifest",
          problem: `signed by key ${publicKeyId(key)}, not by the expected key ${expected}`,
        });
    }
  }

  const listed = new Map(manifest.entries.map((e) => [e.path, e]));
  const seen = new Set<string>();
  const payloadDigests = new Map<string, string>();
  const sealRecords = new Map<string, SealRecord>();
  let seals = 0;
  let auditEntries = 0;
  let lineNo = 0;
  for await (const line of lines(file)) {
    lineNo += 1;
    if (lineNo === trailer.lineCount || line === "") continue;
    const parsed = archiveEntrySchema.safeParse(parseJson(line));
    if (!parsed.success) {
      findings.push({ entry: `line ${lineNo}`, problem: "damaged: not an archive entry" });
      continue;
    }
    const { path, content } = parsed.data;
    const expected = listed.get(path);
    if (seen.has(path)) {
      findings.push({ entry: path, problem: `appears twice (again at line ${lineNo})` });
      continue;
    }
    seen.add(path);
    if (expected === undefined) {
      findings.push({ entry: path, problem: `line ${lineNo} is not in the manifest` });
      continue;
    }
    const digest = contentDigest(content);
    if (digest.sha256 !== expected.sha256 || digest.bytes !== expected.bytes) {
      findings.push({ entry: path, problem: "content does not match the manifest's SHA-256" });
      continue;
    }
    const invoiceFile = /^invoices\/([^/]+)\/(payload\.json|seal\.json)$/.exec(path);
    if (invoiceFile?.[2] === "payload.json") payloadDigests.set(invoiceFile[1] ?? "", digest.sha256);
    if (invoiceFile?.[2] === "seal.json" && key !== undefined) {
      seals += 1;
      const seal = parseJson(content) as { record?: string; signature?: string } | undefined;
      if (
        typeof seal?.record !== "string" ||
        typeof seal.signature !== "string" ||
        !signatureHolds(key, seal.record, seal.signature)
      )
        findings.push({ entry: path, problem: "the invoice's seal does not verify with the archive's key" });
      else sealRecords.set(invoiceFile[1] ?? "", JSON.parse(seal.record) as SealRecord);
    }
    if (path === "audit.jsonl") auditEntries = checkAuditEntries(content, findings);
  }
  for (const [invoiceId, record] of sealRecords) {
    // A payload entry that did not match the manifest is named already.
    const payload = payloadDigests.get(invoiceId);
    if (payload !== undefined && payload !== record.payloadSha256)
      findings.push({
        entry: `invoices/${invoiceId}/payload.json`,
        problem: "differs from the payload its seal signed",
      });
  }
  for (const path of listed.keys())
    if (!seen.has(path)) findings.push({ entry: path, problem: "listed in the manifest but missing" });
  if (findings.length > 0) return { status: "damaged", manifest, findings };
  return { status: "intact", manifest, entries: seen.size, seals, auditEntries };
}

/** Each audit entry's SHA-256 link recomputed; consecutive entries must chain (the archive holds a subset). */
function checkAuditEntries(content: string, findings: ArchiveFinding[]): number {
  let previous: AuditRow | undefined;
  let count = 0;
  for (const line of content.split("\n")) {
    if (line === "") continue;
    count += 1;
    const row = parseJson(line) as AuditRow | undefined;
    if (row === undefined || typeof row.hash !== "string" || typeof row.prev_hash !== "string") {
      findings.push({ entry: "audit.jsonl", problem: `entry ${count} is not an audit entry` });
      continue;
    }
    if (entryHash(row.prev_hash, row) !== row.hash)
      findings.push({ entry: "audit.jsonl", problem: `audit entry ${row.seq} does not match its hash` });
    else if (previous !== undefined && previous.seq + 1 === row.seq && previous.hash !== row.prev_hash)
      findings.push({
        entry: "audit.jsonl",
        problem: `audit entry ${row.seq} does not link to ${previous.seq}`,
      });
    previous = row;
  }
  return count;
}
