import { describe, expect, it } from "vitest";
import { BRIDGE_REPLY_CODES, provisionalReply, successReply } from "./protocol.ts";

describe("replies", () => {
  it("answers success exactly as FBR's component does", () => {
    expect(JSON.stringify(successReply("9000052011142444901"))).toBe(
      '{"InvoiceNumber":"9000052011142444901","Code":"100","Response":"Fiscal Invoice Number generated successfully.","Errors":null}',
    );
  });

  it("answers provisionally with a non-100 code and a printable message", () => {
    const reply = provisionalReply("USIN0");
    expect(reply.Code).toBe(BRIDGE_REPLY_CODES.provisional);
    expect(reply.Code).not.toBe("100");
    expect(reply).toMatchObject({
      InvoiceNumber: "Not Available",
      Response: "Issued offline, pending FBR",
      USIN: "USIN0",
    });
  });
});
