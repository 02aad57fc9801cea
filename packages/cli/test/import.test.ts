// `raseed import` end to end: a real gateway (SQLite, then PostgreSQL) posting to the real simulator over HTTP
// on 127.0.0.1.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fbrToday, simInvoices, startTestGateway, type TestGateway } from "../../gateway/test/harness.ts";
import { engines, tempDir } from "../../gateway/test/helpers.ts";
import { csvText, FBR_HEADER, fbrRow } from "../../gateway/test/import-fixtures.ts";
import { type ImportCommandOptions, runImportCommand } from "../src/commands/import.ts";

let gw: TestGateway;
const dir = tempDir("raseed-import-");
const today = fbrToday();

afterAll(() => {
  dir.remove();
});

let fileCounter = 0;
function writeCsv(rows: string[][]): string {
  fileCounter += 1;
  const path = join(dir.path, `sales-${fileCounter}.csv`);
  writeFileSync(path, csvText(rows));
  return path;
}

interface Run {
  code: number;
  out: string;
  err: string;
}

async function runImport(file: string, options: Partial<ImportCommandOptions> = {}): Promise<Run> {
  let out = "";
  let err = "";
  const code = await runImportCommand(
    file,
    {
      gateway: gw.url,
      dryRun: false,
      skipInvalid: false,
      wait: false,
      waitTimeout: 60,
      concurrency: 4,
      ...options,
    },
    {
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        err += text;
      },
      isTTY: false,
      env: { RASEED_API_KEY: gw.keyA },
      pollIntervalMs: 20,
    },
  );
  return { code, out, err };
}

/** Simulator invoices whose first line carries this test's tag. */
async function postedWith(tag: string) {
  const all = await simInvoices(gw.simulator);
  const mine = [];
  for (const invoice of all) {
    if (JSON.stringify(invoice).includes(tag)) mine.push(invoice);
  }
  return mine;
}

async function gatewayInvoicesWithRef(prefix: string): Promise<number> {
  const listed = await gw.call("GET", "/v1/invoices?limit=500");
  return (listed.body.items as { externalRef: string | null }[]).filter((item) =>
    item.externalRef?.startsWith(`import:7000007:${prefix}`),
  ).length;
}

describe.each(engines)("on %s", (engine) => {
  beforeAll(async () => {
    gw = await startTestGateway(engine);
  });
  afterAll(async () => {
    await gw?.close();
  });

  describe("raseed import (CSV)", () => {
    it("names every bad row by sheet row, column and FBR code; a dry run sends nothing and exits 1", async () => {
      const file = writeCsv([
        FBR_HEADER,
        fbrRow("DRY-1", "dry widget"),
        fbrRow("DRY-2", "dry widget", 1000, "12"),
        fbrRow("DRY-2", "dry widget second line"),
        [...fbrRow("", "no reference")],
      ]);
      const run = await runImport(file, { dryRun: true });
      expect(run.code).toBe(1);
      expect(run.out).toContain('row 3 column "hsCode": 0044');
      expect(run.out).toContain('row 5 column "invoiceRefNo": RIMP01');
      expect(run.out).toContain("dry run: nothing was sent");
      expect(await gatewayInvoicesWithRef("DRY-")).toBe(0);
    });

    it("refuses the whole file by default when any row is invalid", async () => {
      const file = writeCsv([
        FBR_HEADER,
        fbrRow("WHOLE-1", "whole ok"),
        fbrRow("WHOLE-2", "whole bad", 1000, "12"),
      ]);
      const run = await runImport(file);
      expect(run.code).toBe(1);
      expect(run.out).toContain("refused: 1 problem invoice(s) or row(s); nothing was sent");
      expect(await gatewayInvoicesWithRef("WHOLE-")).toBe(0);
    });

    it("--skip-invalid sends the valid invoices, lists the invalid, and --wait reports FBR's answers", async () => {
      const file = writeCsv([
        FBR_HEADER,
        fbrRow("SKIP-1", "skip-tag one"),
        fbrRow("SKIP-1", "skip-tag one b"),
        fbrRow("SKIP-2", "skip-tag two"),
        fbrRow("SKIP-3", "skip-tag bad", 1000, "12"),
      ]);
      const run = await runImport(file, { skipInvalid: true, wait: true });
      expect(run.out).toContain('row 5 column "hsCode": 0044');
      expect(run.out).toMatch(
        /sent 2, already sent before 0, accepted 2, rejected 0, pending 0, conflicts 0, not sent \(invalid\) 1/,
      );
      // Invalid rows were listed, so the exit status asks for attention.
      expect(run.code).toBe(1);
      expect(await gatewayInvoicesWithRef("SKIP-")).toBe(2);
      expect(await postedWith("skip-tag")).toHaveLength(2);
    });

    it("a re-run of the same file sends nothing twice (the simulator's postCount stays 1)", async () => {
      const rows = [FBR_HEADER, fbrRow("RERUN-1", "rerun-tag one"), fbrRow("RERUN-2", "rerun-tag two")];
      const first = await runImport(writeCsv(rows), { wait: true });
      expect(first.code).toBe(0);
      expect(first.out).toContain("sent 2, already sent before 0, accepted 2");
      const second = await runImport(writeCsv(rows), { wait: true });
      expect(second.code).toBe(0);
      expect(second.out).toContain("sent 0, already sent before 2, accepted 2");
      const posted = await postedWith("rerun-tag");
      expect(posted).toHaveLength(2);
      for (const invoice of posted) expect(invoice.postCount).toBe(1);
      expect(await gatewayInvoicesWithRef("RERUN-")).toBe(2);
    });

    it("a changed row under a reference already sent is a conflict, not sent", async () => {
      const first = await runImport(writeCsv([FBR_HEADER, fbrRow("CONFLICT-1", "conflict-tag")]), {
        wait: true,
      });
      expect(first.code).toBe(0);
      const changed = await runImport(writeCsv([FBR_HEADER, fbrRow("CONFLICT-1", "conflict-tag", 2000)]), {
        wait: true,
      });
      expect(changed.code).toBe(1);
      expect(changed.out).toContain("conflicts 1");
      expect(changed.out).toMatch(/conflict CONFLICT-1 \(rows 2\): already sent with other content/);
      const posted = await postedWith("conflict-tag");
      expect(posted).toHaveLength(1);
      expect(posted[0]?.postCount).toBe(1);
    });

    it("--map reads foreign headers; unknown columns are listed, not guessed", async () => {
      const foreign = [
        "Bill No",
        "Bill Date",
        "Customer CNIC",
        "Customer",
        "Province",
        "City",
        "Customer Type",
        "Scenario",
        "Tariff",
        "Item",
        "Tax %",
        "Unit",
        "Qty",
        "Net Amount",
        "GST",
        "Kind",
        "Salesman",
      ];
      const mapping = {
        "Bill No": "invoiceRefNo",
        "Bill Date": "invoiceDate",
        "Customer CNIC": "buyerNTNCNIC",
        Customer: "buyerBusinessName",
        Province: "buyerProvince",
        City: "buyerAddress",
        "Customer Type": "buyerRegistrationType",
        Tariff: "hsCode",
        Item: "productDescription",
        "Tax %": "rate",
        Unit: "uoM",
        Qty: "quantity",
        "Net Amount": "valueSalesExcludingST",
        GST: "salesTaxApplicable",
        Kind: "saleType",
      };
      const mapFile = join(dir.path, "map.json");
      writeFileSync(mapFile, JSON.stringify(mapping));
      const file = writeCsv([foreign, [...fbrRow("MAP-1", "map-tag"), "Ali"]]);
      const run = await runImport(file, { map: mapFile, wait: true });
      expect(run.err).toContain('ignored columns (no field and no --map entry): "Salesman"');
      expect(run.code).toBe(0);
      expect(run.out).toContain("sent 1, already sent before 0, accepted 1");
      expect(await postedWith("map-tag")).toHaveLength(1);

      // Without the map nothing holds the reference: the file is refused before anything is sent.
      const unmapped = await runImport(file);
      expect(unmapped.code).toBe(1);
      expect(unmapped.out).toContain("row 1: RIMP01 no column holds the invoice reference");
    });

    it("reads the IRIS sales-annex titles out of the box", async () => {
      const header = [
        "Invoice Ref No.",
        "Invoice Date",
        "Buyer Registration No.",
        "Buyer Name",
        "Destination Province",
        "Buyer Address",
        "Buyer Type",
        "scenarioId",
        "HS Code",
        "Product Description",
        "Rate",
        "UoM",
        "Quantity",
        "Value of Sales Excluding Sales Tax",
        "Sales Tax/ FED in ST Mode",
        "Sale Type",
      ];
      const run = await runImport(writeCsv([header, fbrRow("IRIS-1", "iris")]), { dryRun: true });
      expect(run.out).toContain("1 invoices (FBR's fields), 1 valid, 0 invalid");
      expect(run.code).toBe(0);
    });

    it("a 10,000-row file in Raseed's draft columns: progress lines while sending, every invoice queued", async () => {
      const header = [
        "invoiceRefNo",
        "invoiceDate",
        "buyerNTNCNIC",
        "buyerBusinessName",
        "buyerProvince",
        "buyerAddress",
        "buyerRegistrationType",
        "scenarioId",
        "hsCode",
        "description",
        "rate",
        "uoM",
        "quantity",
        "unit price",
        "discount",
        "saleType",
      ];
      const rows: string[][] = [header];
      // 500 invoices of 20 lines each, the lines of one invoice spread through the file.
      for (let line = 0; line < 20; line += 1) {
        for (let invoice = 0; invoice < 500; invoice += 1) {
          rows.push([
            `BIG-${invoice}`,
            today,
            "1000000000000",
            "Walk-in customer",
            "Sindh",
            "Karachi",
            "Unregistered",
            "SN002",
            "0101.2100",
            `big-tag ${invoice}-${line}`,
            "18%",
            "Numbers, pieces, units",
            "3",
            "99.99",
            line === 0 ? "5" : "",
            "Goods at standard rate (default)",
          ]);
        }
      }
      expect(rows.length - 1).toBe(10_000);
      const run = await runImport(writeCsv(rows), { concurrency: 8 });
      expect(run.err).toContain("reading: 10000 rows");
      const progress = run.err.split("\n").filter((line) => line.startsWith("sending: "));
      expect(progress).toHaveLength(10);
      expect(progress.at(-1)).toBe("sending: 500/500 invoices");
      expect(run.out).toContain(
        "10000 rows, 500 invoices (quantity and unit price; the gateway computes the amounts), 500 valid",
      );
      expect(run.out).toContain("sent 500, already sent before 0");
      expect(run.code).toBe(0);
      expect(
        await gw
          .call("GET", "/v1/invoices?externalRef=import:7000007:BIG-499")
          .then((r) => r.body.items.length),
      ).toBe(1);
    }, 240_000);

    it("refuses a missing API key, an unknown file type and a gateway that cannot be reached with exit 2", async () => {
      const file = writeCsv([FBR_HEADER, fbrRow("USAGE-1", "usage")]);
      let err = "";
      const io = { stdout: () => {}, stderr: (t: string) => (err += t), isTTY: false, env: {} };
      const base = {
        gateway: gw.url,
        dryRun: true,
        skipInvalid: false,
        wait: false,
        waitTimeout: 1,
        concurrency: 1,
      };
      expect(await runImportCommand(file, base, io)).toBe(2);
      expect(err).toContain("RASEED_API_KEY");
      expect(
        await runImportCommand(join(dir.path, "sales.xls"), base, {
          ...io,
          env: { RASEED_API_KEY: gw.keyA },
        }),
      ).toBe(2);
      expect(err).toContain("neither .csv nor .xlsx");
      const wrongKey = await runImportCommand(file, base, { ...io, env: { RASEED_API_KEY: "rk_wrong" } });
      expect(wrongKey).toBe(2);
      expect(err).toContain("the gateway refused the API key");
    });
  });

  describe("raseed import (XLSX)", () => {
    async function writeXlsx(rows: (string | number | Date)[][], name: string): Promise<string> {
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet("Sales");
      for (const row of rows) sheet.addRow(row);
      // A percent-formatted rate cell holds 0.18 for "18%".
      sheet.getColumn(11).numFmt = "0%";
      const path = join(dir.path, name);
      await workbook.xlsx.writeFile(path);
      return path;
    }

    it("reads dates, numbers and percent cells, names bad rows with the sheet, and sends the rest", async () => {
      const date = new Date(`${today}T00:00:00Z`);
      const row = (reference: string, description: string, hsCode = "0101.2100") => {
        const cells: (string | number | Date)[] = fbrRow(reference, description, 1000, hsCode);
        cells[1] = date;
        cells[10] = 0.18;
        cells[12] = 2;
        cells[13] = 1000;
        cells[14] = 180;
        return cells;
      };
      const file = await writeXlsx(
        [
          FBR_HEADER,
          row("XLSX-1", "xlsx-tag one"),
          row("XLSX-2", "xlsx-tag two"),
          row("XLSX-3", "xlsx bad", "12"),
        ],
        "sales.xlsx",
      );
      const dry = await runImport(file, { dryRun: true });
      expect(dry.out).toContain('Sales!row 4 column "hsCode": 0044');
      expect(dry.code).toBe(1);
      const run = await runImport(file, { skipInvalid: true, wait: true });
      expect(run.out).toContain("sent 2, already sent before 0, accepted 2");
      const posted = await postedWith("xlsx-tag");
      expect(posted).toHaveLength(2);
    }, 120_000);
  });
});
