import { type FbrErrorCode, fbrErrorCatalogue } from "../errors/catalogue.ts";
import type { ValidationIssue } from "./types.ts";

/** Collects issues for one invoice; every rule adds to it and none stops the pass. */
export class IssueCollector {
  readonly issues: ValidationIssue[] = [];

  /** A header-level problem. */
  header(code: FbrErrorCode, field: string, message: string, fix?: string): void {
    this.issues.push({
      code,
      level: "header",
      field,
      path: field,
      message,
      fix: fix ?? fbrErrorCatalogue[code].fix,
    });
  }

  /** A problem on line `index` (0-based in the payload; reported 1-based as FBR's itemSNo). */
  item(code: FbrErrorCode, index: number, field: string, message: string, fix?: string): void {
    this.issues.push({
      code,
      level: "item",
      field,
      path: field === "" ? `items[${index}]` : `items[${index}].${field}`,
      item: index + 1,
      message,
      fix: fix ?? fbrErrorCatalogue[code].fix,
    });
  }

  /** A problem on a line of an IMS invoice, whose list is `Items`. */
  imsItem(code: FbrErrorCode, index: number, field: string, message: string, fix?: string): void {
    this.issues.push({
      code,
      level: "item",
      field,
      path: field === "" ? `Items[${index}]` : `Items[${index}].${field}`,
      item: index + 1,
      message,
      fix: fix ?? fbrErrorCatalogue[code].fix,
    });
  }
}
