// The 6-year archive (issue 9) on both engines: a period exported from a real gateway's store round-trips
// byte for byte, verifies with no database, and any flipped byte, edited, missing or extra entry, or other
// signer is caught and named, never with a stack trace.
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArchiveError, exportArchive } from "../src/documents/archive-export.ts";
import { contentDigest } from "../src/documents/archive-format.ts";
import { verifyArchive } from "../src/documents/archive-verify.ts";
import { publicKeyPem } from "../src/records/keys.ts";
import { sealPendingInvoices } from "../src/records/seals.ts";
import type { TenantRow } from "../src/store/schema.ts";
import { fbrToday, type Loose, sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { engines, tempDir } from "./helpers.ts";

interface Line {
  path: string;
  content: string;
}

function entriesOf(file: string): { entries: Map<string, string>; lines: string[] } {
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
  const entries = new Map<string, string>();
  for (const line of lines.slice(0, -1)) {
    const entry = JSON.parse(line) as Line;
    entries.set(entry.path, entry.content);
  }
  return { entries, lines };
}

describe.each(engines)("raseed archive on %s", (engine) => {
  let t: TestGateway;
  let tenant: TenantRow;
  const dir = tempDir("raseed-archive-");
  const accepted: Loose[] = [];
  let archive: string;

  beforeAll(async () => {
    t = await startTestGateway(engine);
    for (let i = 0; i < 3; i++) {
      const posted = await t.call("POST", "/v1/invoices?wait=10", { body: sampleInvoice() });
      accepted.push(await t.waitFor(t.keyA, posted.body.id, ["accepted"]));
    }
    await sealPendingInvoices(t.gateway.store.db, t.gateway.recordKeys);
    await t.gateway.sealer.idle();
    tenant = await t.gateway.store.db
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", t.tenantA)
      .executeTakeFirstOrThrow();
    archive = join(dir.path, "period.jsonl");
    const progress: number[] = [];
    const result = await exportArchive(t.gateway.store.db, t.gateway.recordKeys, tenant, {
      from: fbrToday(),
      to: fbrToday(),
      out: archive,
      format: "xml",
      onProgress: (n) => progress.push(n),
    });
    expect(result.invoices).toBe(3);
    expect(progress.at(-1)).toBe(3);
  });
  afterAll(async () => {
    await t?.close();
    dir.remove();
  });

  it("holds every invoice of the period with the exact bytes exchanged with FBR, its seal and audit entries", async () => {
    const verdict = await verifyArchive(archive);
    expect(verdict.status).toBe("intact");
    if (verdict.status !== "intact") return;
    expect(verdict.manifest.invoices).toBe(3);
    expect(verdict.manifest.keyId).toBe(t.gateway.recordKeys.sealKeyId);
    expect(verdict.seals).toBe(3);
    const { entries } = entriesOf(archive);
    const db = t.gateway.store.db;
    for (const invoice of accepted) {
      const row = await db
        .selectFrom("invoices")
        .selectAll()
        .where("id", "=", invoice.id)
        .executeTakeFirstOrThrow();
      expect(entries.get(`invoices/${invoice.id}/payload.json`)).toBe(row.payload);
      const attempts = await db
        .selectFrom("attempts")
        .selectAll()
        .where("invoice_id", "=", invoice.id)
        .execute();
      expect(attempts.length).toBeGreaterThan(0);
      for (const attempt of attempts) {
        const n = Number(attempt.attempt_no);
        // The attempt stores no copy of the payload it posted; the archive writes the payload as its request.
        expect(attempt.request_body).toBe("");
        expect(entries.get(`invoices/${invoice.id}/attempts/${n}/request`)).toBe(row.payload);
        expect(entries.get(`invoices/${invoice.id}/attempts/${n}/response`)).toBe(attempt.response_body);
      }
      const seal = JSON.parse(entries.get(`invoices/${invoice.id}/seal.json`) ?? "{}") as { record: string };
      expect(JSON.parse(seal.record).fbrInvoiceNumber).toBe(invoice.fbrInvoiceNumber);
      // The XML rendering carries FBR's own field names; FBR itself is only ever sent the JSON.
      const xml = new XMLParser().parse(entries.get(`invoices/${invoice.id}/invoice.xml`) ?? "");
      expect(String(xml.invoice.fbrInvoiceNumber)).toBe(invoice.fbrInvoiceNumber);
      expect(String(xml.invoice.payload.sellerNTNCNIC)).toBe(tenant.ntn);
    }
    const audit = (entries.get("audit.jsonl") ?? "").split("\n").filter((l) => l !== "");
    const actions = audit.map((l) => JSON.parse(l).action as string);
    expect(actions.filter((a) => a === "invoice.received")).toHaveLength(3);
    expect(actions.filter((a) => a === "invoice.sealed")).toHaveLength(3);
    expect(verdict.auditEntries).toBe(audit.length);
  });

  it("catches every flipped byte", async () => {
    const original = readFileSync(archive);
    const flipped = join(dir.path, "flipped.jsonl");
    const step = Math.max(1, Math.floor(original.length / 250));
    let checked = 0;
    for (let position = 0; position < original.length; position += step) {
      for (const mask of [0x01, 0x80]) {
        const copy = Buffer.from(original);
        copy[position] = (copy[position] ?? 0) ^ mask;
        writeFileSync(flipped, copy);
        const verdict = await verifyArchive(flipped);
        if (verdict.status === "intact") throw new Error(`byte ${position} ^ ${mask} went unnoticed`);
        checked += 1;
      }
    }
    // The last bytes too (the manifest's signature and the final newline).
    for (let position = original.length - 90; position < original.length; position += 1) {
      const copy = Buffer.from(original);
      copy[position] = (copy[position] ?? 0) ^ 0x01;
      writeFileSync(flipped, copy);
      expect((await verifyArchive(flipped)).status, `byte ${position}`).not.toBe("intact");
      checked += 1;
    }
    expect(checked).toBeGreaterThan(500);
  });

  it("names an edited, a missing and an extra entry (exit 1), and a manifest from another signer", async () => {
    const { lines } = entriesOf(archive);
    const victim = accepted[0].id as string;
    const edited = lines.map((line) => {
      const entry = JSON.parse(line) as Line | { manifest: string };
      if ("path" in entry && entry.path === `invoices/${victim}/payload.json`) {
        // A rewritten, well-formed entry: FBR number and all still look fine.
        return JSON.stringify({ path: entry.path, content: entry.content.replace("SN001", "SN002") });
      }
      return line;
    });
    const missing = edited.filter((line) => !line.includes(`"invoices/${accepted[1].id}/seal.json"`));
    const extra = [JSON.stringify({ path: "notes.txt", content: "added later" }), ...missing];
    const damaged = join(dir.path, "damaged.jsonl");
    writeFileSync(damaged, `${extra.join("\n")}\n`);
    const verdict = await verifyArchive(damaged);
    expect(verdict.status).toBe("damaged");
    if (verdict.status !== "damaged") return;
    expect(verdict.findings).toEqual(
      expect.arrayContaining([
        {
          entry: `invoices/${victim}/payload.json`,
          problem: "content does not match the manifest's SHA-256",
        },
        { entry: `invoices/${accepted[1].id}/seal.json`, problem: "listed in the manifest but missing" },
        { entry: "notes.txt", problem: "line 1 is not in the manifest" },
      ]),
    );
    expect(verdict.findings).toHaveLength(3);

    const other = generateKeyPairSync("ed25519").publicKey;
    const pinned = await verifyArchive(archive, { publicKeyPem: publicKeyPem(other) });
    expect(pinned.status).toBe("damaged");
    if (pinned.status === "damaged") expect(pinned.findings[0]?.problem).toMatch(/not by the expected key/);
    expect(
      (await verifyArchive(archive, { publicKeyPem: publicKeyPem(t.gateway.recordKeys.sealPublicKey) }))
        .status,
    ).toBe("intact");
  });

  it("a rewritten entry with a matching manifest hash still fails the manifest's signature", async () => {
    const { lines } = entriesOf(archive);
    const trailer = JSON.parse(lines.at(-1) ?? "") as { manifest: string; signature: string };
    const manifest = JSON.parse(trailer.manifest) as {
      entries: { path: string; sha256: string; bytes: number }[];
    };
    const path = `invoices/${accepted[2].id}/invoice.json`;
    const forged = '{"state":"rejected"}';
    const entry = manifest.entries.find((e) => e.path === path);
    if (entry === undefined) throw new Error("entry missing");
    Object.assign(entry, contentDigest(forged));
    const rewritten = lines.map((line) =>
      line.includes(`"path":"${path}"`) ? JSON.stringify({ path, content: forged }) : line,
    );
    rewritten[rewritten.length - 1] = JSON.stringify({
      manifest: JSON.stringify(manifest),
      signature: trailer.signature,
    });
    const file = join(dir.path, "forged.jsonl");
    writeFileSync(file, `${rewritten.join("\n")}\n`);
    const verdict = await verifyArchive(file);
    expect(verdict.status).toBe("damaged");
    if (verdict.status === "damaged")
      expect(verdict.findings).toEqual([
        { entry: "manifest", problem: "the signature does not verify (manifest altered)" },
      ]);
  });

  it("calls a missing file, an empty one and one that is not an archive unreadable (exit 2)", async () => {
    expect(await verifyArchive(join(dir.path, "nope.jsonl"))).toEqual({
      status: "unreadable",
      reason: expect.stringMatching(/ENOENT/),
    });
    const empty = join(dir.path, "empty.jsonl");
    writeFileSync(empty, "");
    expect((await verifyArchive(empty)).status).toBe("unreadable");
    const text = join(dir.path, "text.jsonl");
    writeFileSync(text, "hello\nworld\n");
    expect(await verifyArchive(text)).toEqual({
      status: "unreadable",
      reason: expect.stringMatching(/not a Raseed archive/),
    });
  });

  it("refuses bad dates, a reversed period and an existing file; an empty period is still a signed archive", async () => {
    const db = t.gateway.store.db;
    const keys = t.gateway.recordKeys;
    const base = { format: "json" as const, out: join(dir.path, "x.jsonl") };
    await expect(
      exportArchive(db, keys, tenant, { ...base, from: "2026-13-01", to: "2026-12-31" }),
    ).rejects.toThrow(ArchiveError);
    await expect(
      exportArchive(db, keys, tenant, { ...base, from: "2026-12-31", to: "2026-01-01" }),
    ).rejects.toThrow(/after --to/);
    await expect(
      exportArchive(db, keys, tenant, { ...base, out: archive, from: "2020-01-01", to: "2020-01-31" }),
    ).rejects.toThrow(/exists/);
    const empty = await exportArchive(db, keys, tenant, { ...base, from: "2020-01-01", to: "2020-01-31" });
    expect(empty.invoices).toBe(0);
    expect((await verifyArchive(empty.file)).status).toBe("intact");
  });

  it("shows a payload edited in the database before the export: it no longer matches its seal", async () => {
    const victim = accepted[2].id as string;
    const db = t.gateway.store.db;
    const row = await db
      .selectFrom("invoices")
      .select("payload")
      .where("id", "=", victim)
      .executeTakeFirstOrThrow();
    await db
      .updateTable("invoices")
      .set({ payload: row.payload.replace("test item", "edited item") })
      .where("id", "=", victim)
      .execute();
    const file = join(dir.path, "after-edit.jsonl");
    await exportArchive(db, t.gateway.recordKeys, tenant, {
      from: fbrToday(),
      to: fbrToday(),
      out: file,
      format: "json",
    });
    const verdict = await verifyArchive(file);
    expect(verdict).toMatchObject({
      status: "damaged",
      findings: [
        { entry: `invoices/${victim}/payload.json`, problem: "differs from the payload its seal signed" },
      ],
    });
  });
});
