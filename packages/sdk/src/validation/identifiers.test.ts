import { describe, expect, it } from "vitest";
import { isValidCnic, isValidHsCode, isValidNtn, isValidPctCode, isValidStrn } from "./identifiers.ts";

describe("FBR identifier formats (spec §7)", () => {
  it("NTN: 7 digits; the check-digit form only when allowed", () => {
    expect(isValidNtn("7000007")).toBe(true);
    expect(isValidNtn("1234567-8")).toBe(false);
    expect(isValidNtn("1234567-8", { allowCheckDigit: true })).toBe(true);
    for (const bad of ["123456", "12345678", "A123456", "1234567-89", " 7000007"]) {
      expect(isValidNtn(bad, { allowCheckDigit: true }), bad).toBe(false);
    }
  });

  it("CNIC and STRN: 13 digits, no dashes", () => {
    expect(isValidCnic("3520212345671")).toBe(true);
    expect(isValidCnic("35202-1234567-1")).toBe(false);
    expect(isValidStrn("3277876175852")).toBe(true);
    expect(isValidStrn("32-77-8761-758-52")).toBe(false);
    expect(isValidStrn("327787617585")).toBe(false);
  });

  it("HS code NNNN.NNNN (not the 0000.0000 placeholder); PCT up to 8 digits without a dot", () => {
    expect(isValidHsCode("0101.2100")).toBe(true);
    for (const bad of ["0000.0000", "01012100", "0101.21", "101.2100", "0101.21000"]) {
      expect(isValidHsCode(bad), bad).toBe(false);
    }
    expect(isValidPctCode("01012100")).toBe(true);
    expect(isValidPctCode("0101")).toBe(true);
    for (const bad of ["0101.2100", "123456789", "", "12a4"]) expect(isValidPctCode(bad), bad).toBe(false);
  });
});
