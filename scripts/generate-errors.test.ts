import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeFbrError, fbrErrorCatalogue } from "../packages/sdk/src/errors/catalogue.ts";
import { fbrErrorDocsUrl } from "../packages/sdk/src/errors/classes.ts";
import {
  buildCatalogueEntries,
  catalogueTsPath,
  errorsMdPath,
  renderErrorCatalogue,
  repoRoot,
} from "./generate-errors.ts";

describe("generated error catalogue", () => {
  it("catalogue.generated.ts is current (run `npm run generate` when this fails)", () => {
    expect(readFileSync(catalogueTsPath, "utf8")).toBe(renderErrorCatalogue().catalogueTs);
  });

  it("docs/errors.md is current (run `npm run generate` when this fails)", () => {
    expect(readFileSync(errorsMdPath, "utf8")).toBe(renderErrorCatalogue().errorsMd);
  });

  it("gives every code one anchor in docs/errors.md, the fragment fbrErrorDocsUrl links to", () => {
    const errorsMd = readFileSync(errorsMdPath, "utf8");
    const anchors = [...errorsMd.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]);
    expect(anchors).toEqual(Object.keys(fbrErrorCatalogue));
    expect(fbrErrorDocsUrl("0046")).toBe("docs/errors.md#0046");
    expect(errorsMd).toContain('| <a id="0046"></a>0046 |');
  });

  it("holds the 86 spec sales codes, the runtime-only codes and Raseed's IMS codes", () => {
    const entries = buildCatalogueEntries(join(repoRoot, "spec/data"));
    expect(entries.filter((e) => e.origin === "spec")).toHaveLength(86);
    expect(
      entries
        .filter((e) => e.origin === "runtime")
        .map((e) => e.code)
        .sort(),
    ).toEqual(["0129", "0203", "0204", "0205", "0302"]);
    expect(entries.some((e) => e.code === "0300" && e.origin === "spec")).toBe(true);
    expect(entries.filter((e) => e.origin === "raseed" && e.code.startsWith("RIMS")).length).toBeGreaterThan(
      10,
    );
    for (const entry of entries) {
      expect(entry.fix.length, entry.code).toBeGreaterThan(10);
      expect(new Set(entries.map((e) => e.code)).size).toBe(entries.length);
    }
  });

  it("keeps FBR's verbatim texts and observed levels", () => {
    expect(fbrErrorCatalogue["0046"].message).toBe("Provide rate.");
    expect(fbrErrorCatalogue["0077"].runtimeMessage).toBe(
      "Valid SRO/Schedule No. is mandatory where rate is not 18%",
    );
    expect(fbrErrorCatalogue["0003"].level).toBe("header");
    expect(fbrErrorCatalogue["0099"].level).toBe("item");
    expect(fbrErrorCatalogue["0203"].origin).toBe("runtime");
    expect(fbrErrorCatalogue["0091"].field).toBe("extraTax");
  });

  it("describeFbrError pads numeric codes and answers undefined for unknown ones", () => {
    expect(describeFbrError(46)?.code).toBe("0046");
    expect(describeFbrError("0205")?.message).toBe("Provided scenario not valid for unregistered user");
    expect(describeFbrError("9999")).toBeUndefined();
    expect(describeFbrError("toString")).toBeUndefined();
  });
});
