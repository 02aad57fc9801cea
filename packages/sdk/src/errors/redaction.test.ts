import { describe, expect, it } from "vitest";
import { isSecretKey, mayHoldSecret, REDACTED, redactSecrets, redactText, SECRET_KEYS } from "./redaction.ts";

describe("redactSecrets", () => {
  it("redacts every key on the list, in any casing and spelling, at any depth", () => {
    for (const key of SECRET_KEYS) {
      const variants = [key, key.toUpperCase(), key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
      for (const variant of variants) {
        expect(redactSecrets({ deep: [{ [variant]: "s3cr3t-value" }] })).toEqual({
          deep: [{ [variant]: REDACTED }],
        });
      }
    }
  });

  it("covers the names the product uses", () => {
    const input = {
      Authorization: "Bearer abc",
      headers: { authorization: "Bearer abc", "x-api-key": "rk_live_1" },
      fbrToken: "t1",
      encryptedFbrToken: "e1",
      apiKey: "k1",
      masterKey: "m1",
      password: "p1",
      clientSecret: "c1",
      tenant: { name: "Demo Traders", token: { value: "nested" } },
    };
    const output = redactSecrets(input);
    const text = JSON.stringify(output);
    for (const secret of ["abc", "rk_live_1", "t1", "e1", "k1", "m1", "p1", "c1", "nested"]) {
      expect(text).not.toContain(`"${secret}"`);
    }
    expect(output.tenant.name).toBe("Demo Traders");
  });

  it("leaves ordinary FBR fields alone and does not modify its input", () => {
    const invoice = {
      invoiceRefNo: "",
      sellerNTNCNIC: "7000007",
      items: [{ rate: "18%", quantity: 1 }],
      dated: null,
    };
    const copy = structuredClone(invoice);
    expect(redactSecrets(invoice)).toEqual(invoice);
    expect(invoice).toEqual(copy);
    expect(isSecretKey("invoiceNumber")).toBe(false);
    expect(isSecretKey("FBR-Token")).toBe(true);
  });

  it("scrubs Bearer tokens and secret pairs inside strings", () => {
    expect(redactText("curl -H 'Authorization: Bearer eyJhbGciOi.x-y_z' https://gw.fbr.gov.pk")).toBe(
      "curl -H 'Authorization: Bearer [REDACTED]' https://gw.fbr.gov.pk",
    );
    expect(redactSecrets({ log: 'sent {"token":"abc123"} and apiKey=zzz9' })).toEqual({
      log: `sent {"token":"${REDACTED}"} and apiKey=${REDACTED}`,
    });
  });

  it("scrubs a bare Bearer token without any separator, and judges a key the same each time it is asked", () => {
    expect(redactText("retry with bearer abc.def-123 later")).toBe(`retry with bearer ${REDACTED} later`);
    expect(redactText("ERP-2026-000123 line 4")).toBe("ERP-2026-000123 line 4");
    for (let i = 0; i < 3; i++) {
      expect(isSecretKey("fbr_Token")).toBe(true);
      expect(isSecretKey("externalRef")).toBe(false);
    }
  });

  it("tells a text that cannot hold a secret from one that may, however the key is spelt", () => {
    const answer =
      '{"invoiceNumber":"7000007DI1747000000001","dated":"2026-12-07 10:00:00","validationResponse":{"statusCode":"00","status":"Valid","error":""}}';
    expect(mayHoldSecret(answer)).toBe(false);
    expect(redactText(answer)).toBe(answer);
    for (const text of [
      '{"X-Api-Key": "k1"}',
      "api_key=k1",
      "Fbr Token: k1",
      "retry with BEARER k1",
      '{"\u0074oken":"k1"}',
      "CLIENT-SECRET=k1",
    ]) {
      expect(mayHoldSecret(text), text).toBe(true);
    }
    // Each key spelling the test lets through is still redacted by the pair pattern.
    expect(redactText('{"X-Api-Key": "k1"} api_key=k2 client-secret=k3')).toBe(
      `{"X-Api-Key": "${REDACTED}"} api_key=${REDACTED} client-secret=${REDACTED}`,
    );
  });

  it("removes known secret values wherever they appear", () => {
    const token = "1298b5eb-b252-3d97-8622-a4a69d5bf818";
    expect(redactSecrets({ message: `failed for ${token}` }, { knownSecrets: [token] })).toEqual({
      message: `failed for ${REDACTED}`,
    });
  });

  it("turns errors, Headers, Maps and cycles into safe plain data", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const error = new TypeError("fetch failed with Bearer abc", { cause });
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const output = redactSecrets({
      error,
      headers: new Headers({ Authorization: "Bearer abc", "Content-Type": "application/json" }),
      map: new Map([["token", "abc"]]),
      cyclic,
      buffer: Buffer.from("secret"),
    }) as Record<string, unknown>;
    expect(output.error).toEqual({
      name: "TypeError",
      message: "fetch failed with Bearer [REDACTED]",
      cause: { name: "Error", message: "connect ECONNREFUSED", code: "ECONNREFUSED" },
    });
    expect(output.headers).toEqual({ authorization: REDACTED, "content-type": "application/json" });
    expect(output.map).toEqual({ token: REDACTED });
    expect(output.cyclic).toEqual({ name: "loop", self: "[Circular]" });
    expect(output.buffer).toBe("[Buffer of 6 bytes]");
  });

  // Inputs shaped to make a backtracking pattern blow up; their speed is measured in bench/sdk.bench.ts
  // (no wall-clock assertion here: CI machines are loaded), their result is checked here.
  it("passes large bodies without secrets through unchanged", () => {
    const html = "<html>".padEnd(200_000, "x");
    const pairs = "a=b ".repeat(50_000);
    expect(redactText(html)).toBe(html);
    expect(redactText(pairs)).toBe(pairs);
  });
});
