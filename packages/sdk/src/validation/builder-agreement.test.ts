// The builders (model/) and the validator must agree: what buildDiInvoice / buildImsInvoice produce from a
// sound draft is an invoice FBR's rules accept.
import { describe, expect, it } from "vitest";
import { buildDiInvoice, type DiLineDraft } from "../model/di.ts";
import { buildImsInvoice } from "../model/ims.ts";
import { validateDiInvoice } from "./di.ts";
import { validateImsInvoice } from "./ims.ts";

const now = new Date("2025-08-01T12:00:00Z");

const lines: Record<string, DiLineDraft> = {
  standard: {
    hsCode: "8471.3010",
    description: "Laptop",
    uoM: "Numbers, pieces, units",
    quantity: "3",
    unitPrice: "84999.99",
    discount: "500",
    saleType: "Goods at standard rate (default)",
    rate: "18%",
  },
  reduced: {
    hsCode: "0102.2930",
    description: "Live cattle",
    uoM: "Numbers, pieces, units",
    quantity: "2",
    unitPrice: "120000",
    saleType: "Goods at Reduced Rate",
    rate: "1%",
    sroScheduleNo: "EIGHTH SCHEDULE Table 1",
    sroItemSerialNo: "82",
  },
  thirdSchedule: {
    hsCode: "3401.1100",
    description: "Soap bar",
    uoM: "Numbers, pieces, units",
    quantity: "48",
    unitPrice: "95.5",
    retailPrice: "130",
    saleType: "3rd Schedule Goods",
    rate: "18%",
  },
  potassiumChlorate: {
    hsCode: "3104.2000",
    description: "Potassium chlorate",
    uoM: "KG",
    quantity: "12.5",
    unitPrice: "310",
    saleType: "Potassium Chlorate",
    rate: "18% along with rupees 60 per kilogram",
    sroScheduleNo: "EIGHTH SCHEDULE Table 1",
    sroItemSerialNo: "56",
  },
  cement: {
    hsCode: "6810.1100",
    description: "Concrete blocks",
    uoM: "Numbers, pieces, units",
    quantity: "1200",
    unitPrice: "42",
    saleType: "Cement /Concrete Block",
    rate: "Rs.3",
  },
  services: {
    hsCode: "9815.6000",
    description: "Consulting",
    uoM: "Numbers, pieces, units",
    quantity: "1",
    unitPrice: "250000",
    saleType: "Services",
    rate: "16%",
    sroScheduleNo: "ICTO TABLE I",
    sroItemSerialNo: "1(ii)(ii)(a)",
  },
};

describe("builders and validator agree", () => {
  for (const registrationType of ["Registered", "Unregistered"] as const) {
    it(`buildDiInvoice output validates clean (${registrationType} buyer, six sale types)`, () => {
      const invoice = buildDiInvoice({
        seller: { ntnCnic: "7000007", businessName: "Demo Traders", province: "SINDH", address: "Karachi" },
        buyer: {
          ntnCnic: registrationType === "Registered" ? "2046004" : "3520212345671",
          businessName: "Buyer Co",
          province: "PUNJAB",
          address: "Lahore",
          registrationType,
        },
        date: "2025-07-15",
        invoiceRefNo: "INV-1",
        lines: Object.values(lines),
      });
      const result = validateDiInvoice(invoice, { now, sellerNtn: "7000007" });
      expect(result.issues).toEqual([]);
    });
  }

  it("buildImsInvoice output validates clean", () => {
    const invoice = buildImsInvoice({
      posId: 110014,
      usin: "USIN-42",
      dateTime: "2025-07-15 14:30:00",
      paymentMode: "card",
      lines: [
        {
          itemCode: "A1",
          itemName: "Rice",
          pctCode: "10063010",
          quantity: "2.5",
          unitPrice: "399.99",
          taxRate: "18",
        },
        {
          itemCode: "B2",
          itemName: "Oil",
          hsCode: "1507.9000",
          quantity: "1",
          unitPrice: "610",
          discount: "10",
          taxRate: "18",
        },
      ],
    });
    expect(validateImsInvoice(invoice, { posId: 110014 }).issues).toEqual([]);
  });
});
