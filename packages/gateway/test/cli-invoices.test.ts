// `raseed invoices list|show|retry|reconcile`, `raseed audit show` and `raseed tenant disable|enable` against a
// running gateway's store and through its API, by spawning the CLI as a user would (issue 14).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { payloadHash } from "@raseed/simulator";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, checkSignIn } from "../src/people/users.ts";
import { type Loose, sampleInvoice, simInvoices, startTestGateway, type TestGateway } from "./harness.ts";

const CLI = fileURLToPath(new URL("../../cli/bin/raseed.js", import.meta.url));

describe("raseed invoices / audit show / tenant disable", () => {
  let t: TestGateway;
  let env: Record<string, string | undefined>;
  const ids: Record<string, string> = {};
  let issuedNumber = "";

  // Asynchronous: the gateway runs in this process, and a blocking spawn would keep it from answering the CLI.
  function raseed(args: string[], extraEnv: Record<string, string> = {}) {
    return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
  }

  // Each spawn takes seconds; a pooled keep-alive socket from before it may be reset by then, so each call
  // after a spawn opens its own connection.
  const api = async (path: string, key: string = t.keyA) => {
    const agent = new Agent();
    try {
      const answer = await request(`${t.url}${path}`, {
        dispatcher: agent,
        headers: { authorization: `Bearer ${key}` },
      });
      return { status: answer.statusCode, body: (await answer.body.json()) as Loose };
    } finally {
      await agent.close();
    }
  };
  const store = () => ["--tenant", "7000007", "--db", t.db, "--data-dir", t.dataDir];
  const viaApi = () => ["--gateway", t.url];

  beforeAll(async () => {
    t = await startTestGateway("sqlite");
    env = { ...process.env, RASEED_MASTER_KEY: t.masterKey.toString("hex") };
    const accepted = await t.call("POST", "/v1/invoices", {
      body: { externalRef: "erp-1", invoice: sampleInvoice() },
    });
    ids.accepted = accepted.body.id;
    await t.waitFor(t.keyA, ids.accepted as string, ["accepted"]);
    // Two invoices FBR recorded but whose answers were lost: in_doubt.
    for (const name of ["doubtA", "doubtB"]) {
      const invoice = sampleInvoice();
      const description = invoice.items[0]?.productDescription as string;
      t.faults.byDescription.set(description, "commit-then-drop");
      const posted = await t.call("POST", "/v1/invoices", { body: { externalRef: name, invoice } });
      ids[name] = posted.body.id;
      await t.waitFor(t.keyA, posted.body.id, ["in_doubt"], 20_000);
      t.faults.byDescription.delete(description);
      if (name === "doubtA") {
        const issued = (await simInvoices(t.simulator)).find((i) => i.payloadHash === payloadHash(invoice));
        issuedNumber = issued?.invoiceNumber ?? "";
      }
    }
    expect(issuedNumber).not.toBe("");
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it("lists and shows invoices from the store, with the API's filters and field-named errors", {
    timeout: 480_000,
  }, async () => {
    const all = await raseed(["invoices", "list", ...store()]);
    expect(all.stderr).toBe("");
    expect(all.status).toBe(0);
    expect(all.stdout.trim().split("\n")).toHaveLength(3);
    const doubtful = await raseed(["invoices", "list", "--state", "in_doubt", "--json", ...store()]);
    expect(
      JSON.parse(doubtful.stdout)
        .map((i: Loose) => i.externalRef)
        .sort(),
    ).toEqual(["doubtA", "doubtB"]);
    const one = await raseed(["invoices", "list", "--limit", "1", ...store()]);
    expect(one.stdout.trim().split("\n")).toHaveLength(1);

    const shown = await raseed(["invoices", "show", ids.accepted as string, ...store()]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/state:\s+accepted/);
    expect(shown.stdout).toMatch(/FBR number:\s+7000007DI\d+/);
    expect(shown.stdout).toMatch(/external ref:\s+erp-1/);

    const badDate = await raseed(["invoices", "list", "--from", "06-12-2026", ...store()]);
    expect(badDate.status).toBe(2);
    expect(badDate.stderr).toContain("from must be the invoice's date written YYYY-MM-DD");
    const missing = await raseed(["invoices", "show", "inv_nope", ...store()]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("not_found");
    const neither = await raseed(["invoices", "list"]);
    expect(neither.status).toBe(2);
    expect(neither.stderr).toContain("give --tenant");
  });

  it("reconciles from the store and through the API; a refused retry says why", {
    timeout: 480_000,
  }, async () => {
    const reconciled = await raseed([
      "invoices",
      "reconcile",
      ids.doubtA as string,
      "--fbr-number",
      issuedNumber,
      ...store(),
    ]);
    expect(reconciled.stderr).toBe("");
    expect(reconciled.status).toBe(0);
    expect(reconciled.stdout).toContain("accepted");
    expect(reconciled.stdout).toContain(issuedNumber);
    expect((await api(`/v1/invoices/${ids.doubtA}`)).body.fbrInvoiceNumber).toBe(issuedNumber);

    const noKey = await raseed(["invoices", "list", ...viaApi()], { RASEED_API_KEY: "" });
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toContain("RASEED_API_KEY");
    const key = { RASEED_API_KEY: t.keyA };
    const listed = await raseed(["invoices", "list", "--external-ref", "erp-1", ...viaApi()], key);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(ids.accepted);
    const shown = await raseed(["invoices", "show", ids.doubtB as string, "--json", ...viaApi()], key);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: ids.doubtB, state: "in_doubt" });
    const refused = await raseed(["invoices", "retry", ids.doubtB as string, ...viaApi()], key);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("invalid_state: only failed or paused invoices can be retried");
    const both = await raseed(
      ["invoices", "reconcile", ids.doubtB as string, "--abandon", "--resubmit", ...viaApi()],
      key,
    );
    expect(both.status).toBe(2);
    const abandoned = await raseed(
      [
        "invoices",
        "reconcile",
        ids.doubtB as string,
        "--abandon",
        "--reason",
        "sent twice by the till",
        ...viaApi(),
      ],
      key,
    );
    expect(abandoned.status).toBe(0);
    expect(abandoned.stdout).toContain("abandoned");

    const trail = await raseed([
      "audit",
      "show",
      "--tenant",
      "7000007",
      "--invoice",
      ids.doubtB as string,
      "--json",
      "--db",
      t.db,
    ]);
    expect(trail.status).toBe(0);
    const actions = JSON.parse(trail.stdout).map((e: Loose) => e.action);
    expect(actions[0]).toBe("invoice.received");
    expect(actions).toContain("invoice.reconciled.abandon");
    const text = await raseed(["audit", "show", "--tenant", "7000007", "--limit", "2", "--db", t.db]);
    expect(text.status).toBe(0);
    expect(text.stdout.trim().split("\n")).toHaveLength(2);
    expect(text.stdout).toContain("invoice.reconciled.abandon");
  });

  it("disables a tenant: its keys and people are refused at once; enable restores them", {
    timeout: 480_000,
  }, async () => {
    const db = t.gateway.store.db;
    await addUser(db, {
      tenant: "7000007",
      email: "owner@demo.pk",
      role: "admin",
      password: "a long enough password",
    });
    const disabled = await raseed(["tenant", "disable", "7000007", "--db", t.db]);
    expect(disabled.stderr).toBe("");
    expect(disabled.status).toBe(0);
    expect(disabled.stdout).toContain("disabled since");
    expect((await api("/v1/invoices")).status).toBe(401);
    expect((await api("/v1/invoices", t.keyB)).status).toBe(200);
    expect((await checkSignIn(db, "owner@demo.pk", "a long enough password", "127.0.0.1")).ok).toBe(false);
    expect((await raseed(["tenant", "list", "--db", t.db])).stdout).toMatch(/7000007 .*DISABLED since/);

    expect((await raseed(["tenant", "enable", "7000007", "--db", t.db])).status).toBe(0);
    expect((await api("/v1/invoices")).status).toBe(200);
    expect((await checkSignIn(db, "owner@demo.pk", "a long enough password", "127.0.0.1")).ok).toBe(true);
    const actions = (
      await db.selectFrom("audit").select("action").where("action", "like", "tenant.%abled").execute()
    ).map((row) => row.action);
    expect(actions).toEqual(["tenant.disabled", "tenant.enabled"]);
  });
});
