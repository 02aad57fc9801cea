// store/ids.ts: SHA-256 as stored request hashes, API-key hashes and audit links expect it, and
// time-ordered ids.
import { describe, expect, it } from "vitest";
import { newId, sha256Hex } from "../src/store/ids.ts";

describe("ids", () => {
  it("hashes with SHA-256 in hex (FIPS 180-2 test vectors, and non-ASCII text as UTF-8)", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("é")).toBe("4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c");
  });

  it("makes ids that sort by their creation time", () => {
    const ids = [3, 1, 2].map((ms) => newId("inv", ms * 1_000));
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0]]);
    expect(ids[0]).toMatch(/^inv_[0-9a-z]{9}[0-9a-f]{16}$/);
  });
});
