// The attempts log keeps both bodies of every post: a body that could hold a secret is redacted by the sdk's
// one list, and one that cannot is kept exactly as it was (outbox/dispatch.ts redactBody).
import { describe, expect, it } from "vitest";
import { redactBody } from "../src/outbox/dispatch.ts";
import { attemptRequestBody, storedRequestBody } from "../src/outbox/outbox-sql.ts";

describe("redactBody", () => {
  it("keeps a body that holds no secret key or bearer word byte for byte", () => {
    const answer = '{ "invoiceNumber": "7000007DI1747119701593", "dated": "2025-05-13 12:01:41" }';
    expect(redactBody(answer)).toBe(answer);
  });

  it("redacts secret keys however they are spelled, escaped included", () => {
    for (const body of [
      '{"fbrToken":"abc123"}',
      '{"FBR-TOKEN":"abc123"}',
      '{"api_key":"abc123"}',
      '{"to\\u006ben":"abc123"}',
      '{"note":"Authorization: Bearer abc123"}',
      '{"note":"sent with bEaReR abc123"}',
    ]) {
      const stored = redactBody(body) ?? "";
      expect(stored, body).not.toContain("abc123");
      expect(stored, body).toContain("[REDACTED]");
    }
  });

  it("answers null for no body and cuts long ones", () => {
    expect(redactBody(undefined)).toBeNull();
    expect(redactBody("x".repeat(70_000))).toHaveLength(64 * 1024);
  });
});

describe("an attempt's request as stored", () => {
  it("is empty when it is the payload itself, and reads back as the payload", () => {
    const payload = '{"sellerNTNCNIC":"7000007","items":[{"hsCode":"0101.2100"}]}';
    expect(storedRequestBody(payload)).toBe("");
    expect(attemptRequestBody({ request_body: storedRequestBody(payload) }, payload)).toBe(payload);
  });

  it("keeps its own redacted copy when the payload holds something redacted", () => {
    const payload = '{"sellerNTNCNIC":"7000007","note":"Bearer abc123"}';
    const stored = storedRequestBody(payload);
    expect(stored).toContain("[REDACTED]");
    expect(stored).not.toContain("abc123");
    expect(attemptRequestBody({ request_body: stored }, payload)).toBe(stored);
  });

  it("keeps its own copy of a payload longer than a stored body, cut as before", () => {
    const payload = `{"note":"${"x".repeat(70_000)}"}`;
    expect(storedRequestBody(payload)).toHaveLength(64 * 1024);
  });
});
