// DI and IMS response bodies, shaped exactly like spec/data/di-response-samples.json and ims.json:
// key order, casing quirks ("invalid" on a post's item-level rejection, "Invalid" on validate) and the
// presence or absence of errorCode/invoiceNo per endpoint all follow PRAL's samples.
import { diItemNumber } from "./numbering.ts";

export interface ItemFailure {
  code: string;
  message: string;
}

export type DiEndpointKind = "post" | "validate";

export function diPostSuccessBody(invoiceNumber: string, dated: string, itemCount: number) {
  return {
    invoiceNumber,
    dated,
    validationResponse: {
      statusCode: "00",
      status: "Valid",
      error: "",
      invoiceStatuses: range(itemCount).map((itemSNo) => ({
        itemSNo: String(itemSNo),
        statusCode: "00",
        status: "Valid",
        invoiceNo: diItemNumber(invoiceNumber, itemSNo),
        errorCode: "",
        error: "",
      })),
    },
  };
}

/** Validate saves nothing: no invoiceNumber, no item invoiceNo, errorCode null (spec §4.2.3). */
export function diValidateSuccessBody(dated: string, itemCount: number) {
  return {
    dated,
    validationResponse: {
      statusCode: "00",
      status: "Valid",
      errorCode: null,
      error: "",
      invoiceStatuses: range(itemCount).map((itemSNo) => ({
        itemSNo: String(itemSNo),
        statusCode: "00",
        status: "Valid",
        errorCode: null,
        error: "",
      })),
    },
  };
}

/** Header-level rejection (spec §4.1.4): statusCode "01", invoiceStatuses null, no invoiceNumber. */
export function diHeaderRejectionBody(dated: string, failure: ItemFailure) {
  return {
    dated,
    validationResponse: {
      statusCode: "01",
      status: "Invalid",
      errorCode: failure.code,
      error: failure.message,
      invoiceStatuses: null,
    },
  };
}

/**
 * Item-level rejection: the outer code stays "00" and only the failing items carry "01". A post says
 * status "invalid" in lower case with invoiceNo null per item (spec §4.1.5); validate says "Invalid",
 * errorCode null and has no invoiceNo (spec §4.2.4).
 */
export function diItemRejectionBody(
  kind: DiEndpointKind,
  dated: string,
  itemCount: number,
  failures: ReadonlyMap<number, ItemFailure>,
) {
  const statuses = range(itemCount).map((itemSNo) => {
    const failure = failures.get(itemSNo);
    const base = {
      itemSNo: String(itemSNo),
      statusCode: failure ? "01" : "00",
      status: failure ? "Invalid" : "Valid",
    };
    const passingCode = kind === "post" ? "" : null;
    if (kind === "post") {
      return {
        ...base,
        invoiceNo: null,
        errorCode: failure?.code ?? passingCode,
        error: failure?.message ?? "",
      };
    }
    return { ...base, errorCode: failure?.code ?? passingCode, error: failure?.message ?? "" };
  });
  if (kind === "post") {
    return {
      dated,
      validationResponse: { statusCode: "00", status: "invalid", error: "", invoiceStatuses: statuses },
    };
  }
  return {
    dated,
    validationResponse: {
      statusCode: "00",
      status: "Invalid",
      errorCode: null,
      error: "",
      invoiceStatuses: statuses,
    },
  };
}

export function imsSuccessBody(fiscalNumber: string) {
  return {
    InvoiceNumber: fiscalNumber,
    Code: "100",
    Response: "Fiscal Invoice Number generated successfully.",
    Errors: null,
  };
}

export interface ImsError {
  Code: string;
  Field: string;
  Message: string;
}

/** IMS has no published error catalogue; the observed rejection is Code "102" with "Not Available". */
export function imsRejectionBody(errors: ImsError[]) {
  return { InvoiceNumber: "Not Available", Code: "102", Response: "Invalid data received", Errors: errors };
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1);
}
