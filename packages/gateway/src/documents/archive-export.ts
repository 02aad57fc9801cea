// `raseed archive export`: one tenant's invoices of a period, with the exact bytes sent to and received from
// FBR, their seals, cancellations and audit entries, in one signed, self-contained file (archive-format.ts).
// Written to "<out>.partial" and renamed at the end, so a crash never leaves a half archive under the name.
import { once } from "node:events";
import { createWriteStream, existsSync, renameSync, rmSync } from "node:fs";
import { canonicalJson, pakistanDate } from "@raseed/sdk";
import type { Kysely } from "kysely";
import { attemptRequestBody } from "../outbox/outbox-sql.ts";
import { type RecordKeys, rawPublicKey, signWithRecordKey } from "../records/keys.ts";
import type { Database, InvoiceRow, TenantRow } from "../store/schema.ts";
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, type ArchiveManifest, contentDigest } from "./archive-format.ts";

export class ArchiveError extends Error {
  override readonly name = "ArchiveError";
}

export interface ArchiveExportOptions {
  /** Invoice dates, YYYY-MM-DD (Pakistan time), both inclusive. */
  from: string;
  to: string;
  out: string;
  format: "json" | "xml";
  now?: () => Date;
  /** Called after each page of invoices (progress on long exports). */
  onProgress?: (invoicesWritten: number) => void;
}

export interface ArchiveExportResult {
  file: string;
  invoices: number;
  entries: number;
  bytes: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PAGE = 200;

function isCalendarDate(text: string): boolean {
  const instant = Date.parse(`${text}T00:00:00Z`);
  return DATE.test(text) && !Number.isNaN(instant) && new Date(instant).toISOString().startsWith(text);
}

/** The invoice's own date as the seller issued it (its tax period): DI invoiceDate, IMS DateTime. */
export function invoiceDateOf(row: Pick<InvoiceRow, "channel" | "payload" | "created_at">): string {
  try {
    const payload = JSON.parse(row.payload) as { invoiceDate?: unknown; DateTime?: unknown };
    const date = row.channel === "ims" ? payload.DateTime : payload.invoiceDate;
    if (typeof date === "string" && DATE.test(date.slice(0, 10))) return date.slice(0, 10);
  } catch {
    // A payload that does not parse still belongs to the day Raseed received it.
  }
  return pakistanDate(Date.parse(row.created_at));
}

export async function exportArchive(
  db: Kysely<Database>,
  keys: RecordKeys,
  tenant: TenantRow,
  options: ArchiveExportOptions,
): Promise<ArchiveExportResult> {
  if (!isCalendarDate(options.from) || !isCalendarDate(options.to))
    throw new ArchiveError("--from and --to must be dates written YYYY-MM-DD");
  if (options.from > options.to) throw new ArchiveError(`--from ${options.from} is after --to ${options.to}`);
  if (existsSync(options.out)) throw new ArchiveError(`${options.out} exists: choose another --out`);
  const now = options.now ?? (() => new Date());
  const partial = `${options.out}.partial`;
  const stream = createWriteStream(partial, { flags: "w" });
  const listed: ArchiveManifest["entries"] = [];
  let bytes = 0;
  const write = async (path: string, content: string): Promise<void> => {
    listed.push({ path, ...contentDigest(content) });
    const line = `${JSON.stringify({ path, content })}\n`;
    bytes += Buffer.byteLength(line);
    if (!stream.write(line)) await once(stream, "drain");
  };
  try {
    const createdAt = now().toISOString();
    await write(
      "archive.json",
      canonicalJson({
        about:
          "Raseed archive: invoices reported to FBR with the exact bytes exchanged, seals and audit entries. " +
          "FBR itself takes JSON; XML renderings, when present, are for archive systems only.",
        createdAt,
        tenant: {
          id: tenant.id,
          ntn: tenant.ntn,
          name: tenant.name,
          province: tenant.province,
          address: tenant.address,
        },
        period: { from: options.from, to: options.to },
      }),
    );
    const invoiceIds: string[] = [];
    let after = "";
    for (;;) {
      const page = await db
        .selectFrom("invoices")
        .selectAll()
        .where("tenant_id", "=", tenant.id)
        .where("id", ">", after)
        .orderBy("id")
        .limit(PAGE)
        .execute();
      if (page.length === 0) break;
      after = page[page.length - 1]?.id ?? after;
      for (const row of page) {
        const date = invoiceDateOf(row);
        if (date < options.from || date > options.to) continue;
        await writeInvoice(db, row, options.format, write);
        invoiceIds.push(row.id);
      }
      options.onProgress?.(invoiceIds.length);
    }
    await write("audit.jsonl", await auditLines(db, tenant.id, invoiceIds));
    const manifest: ArchiveManifest = {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      createdAt,
      tenant: { id: tenant.id, ntn: tenant.ntn, name: tenant.name },
      period: { from: options.from, to: options.to },
      renderings: options.format === "xml" ? "json+xml" : "json",
      invoices: invoiceIds.length,
      keyId: keys.sealKeyId,
      publicKey: rawPublicKey(keys.sealPublicKey).toString("base64"),
      entries: listed,
    };
    const manifestText = canonicalJson(manifest);
    const signature = signWithRecordKey(keys, manifestText);
    const trailer = `${JSON.stringify({ manifest: manifestText, signature })}\n`;
    bytes += Buffer.byteLength(trailer);
    stream.end(trailer);
    await once(stream, "finish");
    renameSync(partial, options.out);
    return { file: options.out, invoices: invoiceIds.length, entries: listed.length, bytes };
  } catch (error) {
    stream.destroy();
    rmSync(partial, { force: true });
    throw error;
  }
}

type Write = (path: string, content: string) => Promise<void>;

async function writeInvoice(
  db: Kysely<Database>,
  row: InvoiceRow,
  format: "json" | "xml",
  write: Write,
): Promise<void> {
  const dir = `invoices/${row.id}`;
  const { payload, ...fields } = row;
  await write(`${dir}/invoice.json`, canonicalJson(fields));
  // The exact body Raseed posts to FBR (each attempt's request below is the same bytes as sent).
  await write(`${dir}/payload.json`, payload);
  const attempts = await db
    .selectFrom("attempts")
    .selectAll()
    .where("invoice_id", "=", row.id)
    .orderBy("attempt_no")
    .execute();
  for (const attempt of attempts) {
    const { request_body, response_body, ...meta } = attempt;
    const n = Number(attempt.attempt_no);
    await write(`${dir}/attempts/${n}/attempt.json`, canonicalJson({ ...meta, attempt_no: n }));
    await write(`${dir}/attempts/${n}/request`, attemptRequestBody({ request_body }, payload));
    if (response_body !== null) await write(`${dir}/attempts/${n}/response`, response_body);
  }
  const seal = await db.selectFrom("seals").selectAll().where("invoice_id", "=", row.id).executeTakeFirst();
  if (seal !== undefined) {
    await write(
      `${dir}/seal.json`,
      canonicalJson({
        record: seal.record,
        signature: seal.signature,
        keyId: seal.key_id,
        sealedAt: seal.sealed_at,
      }),
    );
  }
  const cancellation = await db
    .selectFrom("cancellations")
    .selectAll()
    .where("invoice_id", "=", row.id)
    .executeTakeFirst();
  if (cancellation !== undefined) await write(`${dir}/cancellation.json`, canonicalJson(cancellation));
  if (format === "xml") {
    // fast-xml-parser is loaded only by an XML export: the gateway process that re-exports this never needs it.
    const { invoiceAsXml } = await import("./archive-xml.ts");
    await write(`${dir}/invoice.xml`, invoiceAsXml(row));
  }
}

/** The tenant's audit entries about the archived invoices, oldest first, one canonical JSON row a line. */
async function auditLines(db: Kysely<Database>, tenantId: string, invoiceIds: string[]): Promise<string> {
  const rows: string[] = [];
  const entries = [];
  for (let i = 0; i < invoiceIds.length; i += 500) {
    const chunk = invoiceIds.slice(i, i + 500);
    entries.push(
      ...(await db
        .selectFrom("audit")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("subject", "in", chunk)
        .execute()),
    );
  }
  entries.sort((a, b) => Number(a.seq) - Number(b.seq));
  for (const entry of entries) rows.push(canonicalJson({ ...entry, seq: Number(entry.seq) }));
  return rows.length === 0 ? "" : `${rows.join("\n")}\n`;
}
