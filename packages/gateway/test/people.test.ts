// People (dashboard sign-ins) on both engines: scrypt hashes, sign-in lock-out per account, server-side
// sessions with an idle timeout that end on sign-out, disable and password reset; every step audited.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../src/people/passwords.ts";
import { createSession, endSession, loadSession } from "../src/people/sessions.ts";
import {
  ACCOUNT_LOCK_AFTER,
  ACCOUNT_LOCK_MS,
  addUser,
  checkSignIn,
  disableUser,
  listUsers,
  resetPassword,
} from "../src/people/users.ts";
import type { Store } from "../src/store/database.ts";
import { addTenant, TenantError } from "../src/tenants/tenants.ts";
import { engines, openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

const PASSWORD = "a long enough password";

describe("passwords", () => {
  it("are scrypt hashes with their own salt that verify only the right password", async () => {
    const one = await hashPassword(PASSWORD);
    const two = await hashPassword(PASSWORD);
    expect(one).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(one).not.toBe(two);
    expect(one).not.toContain(PASSWORD);
    await expect(verifyPassword(PASSWORD, one)).resolves.toBe(true);
    await expect(verifyPassword(`${PASSWORD}!`, one)).resolves.toBe(false);
    await expect(verifyPassword(PASSWORD, "md5$whatever")).resolves.toBe(false);
  });
});

describe.each(engines)("people on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let tenantId: string;
  let otherTenantId: string;

  beforeAll(async () => {
    const opened = await openTestStore(engine);
    store = opened.store;
    cleanup = opened.cleanup;
    const base = { province: "Sindh", address: "Karachi", environment: "sandbox" as const, fbrToken: "t" };
    tenantId = (await addTenant(store.db, TEST_MASTER_KEY, { ...base, ntn: "7000007", name: "A" })).id;
    otherTenantId = (await addTenant(store.db, TEST_MASTER_KEY, { ...base, ntn: "7100001", name: "B" })).id;
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it("adds people with a role, refuses duplicates, short passwords and unknown roles", async () => {
    const added = await addUser(store.db, {
      tenant: "7000007",
      email: " Ali@Example.PK ",
      role: "operator",
      password: PASSWORD,
    });
    expect(added).toMatchObject({ email: "ali@example.pk", role: "operator", tenantId, disabled: false });
    await expect(
      addUser(store.db, { tenant: tenantId, email: "ali@example.pk", role: "admin", password: PASSWORD }),
    ).rejects.toThrow(/already exists/);
    await expect(
      addUser(store.db, { tenant: tenantId, email: "x@example.pk", role: "admin", password: "short" }),
    ).rejects.toThrow(TenantError);
    await expect(
      addUser(store.db, { tenant: tenantId, email: "y@example.pk", role: "owner", password: PASSWORD }),
    ).rejects.toThrow(/admin, operator, auditor/);
    expect((await listUsers(store.db, tenantId)).map((u) => u.email)).toEqual(["ali@example.pk"]);
    expect(await listUsers(store.db, otherTenantId)).toEqual([]);
    const row = await store.db
      .selectFrom("users")
      .selectAll()
      .where("email", "=", "ali@example.pk")
      .executeTakeFirstOrThrow();
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  // Each sign-in costs a deliberately slow scrypt hash; on a loaded 2-core machine a dozen of them take a while.
  it("locks an account after repeated wrong passwords, even against the right one, until the lock ends", {
    timeout: 120_000,
  }, async () => {
    await addUser(store.db, {
      tenant: tenantId,
      email: "lock@example.pk",
      role: "operator",
      password: PASSWORD,
    });
    const start = new Date("2026-12-01T10:00:00Z");
    for (let i = 0; i < ACCOUNT_LOCK_AFTER; i++) {
      const result = await checkSignIn(store.db, "lock@example.pk", "wrong password!", "10.0.0.1", start);
      expect(result.ok).toBe(false);
    }
    const locked = await checkSignIn(store.db, "lock@example.pk", PASSWORD, "10.0.0.1", start);
    expect(locked).toMatchObject({ ok: false, reason: "locked" });
    const later = new Date(start.getTime() + ACCOUNT_LOCK_MS + 1);
    const open = await checkSignIn(store.db, "lock@example.pk", PASSWORD, "10.0.0.1", later);
    expect(open.ok).toBe(true);
    const actions = await store.db
      .selectFrom("audit")
      .select(["action", "actor"])
      .where("tenant_id", "=", tenantId)
      .where("actor", "=", "user:lock@example.pk")
      .orderBy("seq")
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      ...Array(ACCOUNT_LOCK_AFTER - 1).fill("user.sign_in_failed"),
      "user.locked",
    ]);
    expect(await checkSignIn(store.db, "nobody@example.pk", PASSWORD, "10.0.0.1")).toMatchObject({
      ok: false,
      reason: "invalid",
    });
  });

  it("sessions are stored hashed, end when idle, on sign-out, on disable and on password reset", {
    timeout: 120_000,
  }, async () => {
    await addUser(store.db, { tenant: tenantId, email: "s@example.pk", role: "auditor", password: PASSWORD });
    const signIn = async () => {
      const result = await checkSignIn(store.db, "s@example.pk", PASSWORD, "10.0.0.2");
      if (!result.ok) throw new Error("sign-in failed");
      return createSession(store.db, result.user, "10.0.0.2");
    };
    const idleMs = 30 * 60_000;
    const first = await signIn();
    const stored = await store.db.selectFrom("sessions").select("id_hash").execute();
    expect(stored.map((s) => s.id_hash)).not.toContain(first.cookieValue);
    const loaded = await loadSession(store.db, first.cookieValue, idleMs);
    expect(loaded?.user.email).toBe("s@example.pk");
    expect(loaded?.tenant.id).toBe(tenantId);
    expect(loaded?.session.csrf_token).toBe(first.csrfToken);
    expect(await loadSession(store.db, "not-a-session", idleMs)).toBeUndefined();
    // Idle past the timeout: gone, and gone for good.
    expect(
      await loadSession(store.db, first.cookieValue, idleMs, new Date(Date.now() + idleMs + 60_000)),
    ).toBeUndefined();
    expect(await loadSession(store.db, first.cookieValue, idleMs)).toBeUndefined();

    const second = await signIn();
    const signedIn = await loadSession(store.db, second.cookieValue, idleMs);
    if (signedIn === undefined) throw new Error("no session");
    await endSession(store.db, signedIn);
    expect(await loadSession(store.db, second.cookieValue, idleMs)).toBeUndefined();

    const third = await signIn();
    await resetPassword(store.db, "s@example.pk", "another long password", "user:admin@example.pk");
    expect(await loadSession(store.db, third.cookieValue, idleMs)).toBeUndefined();
    expect((await checkSignIn(store.db, "s@example.pk", PASSWORD, "10.0.0.2")).ok).toBe(false);
    expect((await checkSignIn(store.db, "s@example.pk", "another long password", "10.0.0.2")).ok).toBe(true);

    const result = await checkSignIn(store.db, "s@example.pk", "another long password", "10.0.0.2");
    if (!result.ok) throw new Error("sign-in failed");
    const fourth = await createSession(store.db, result.user, "10.0.0.2");
    // A tenant admin cannot disable another tenant's person: not found, exactly like an unknown one.
    await expect(disableUser(store.db, "s@example.pk", "user:b@example.pk", otherTenantId)).rejects.toThrow(
      /no person/,
    );
    await disableUser(store.db, "s@example.pk", "cli");
    expect(await loadSession(store.db, fourth.cookieValue, idleMs)).toBeUndefined();
    expect((await checkSignIn(store.db, "s@example.pk", "another long password", "10.0.0.2")).ok).toBe(false);

    const trail = await store.db
      .selectFrom("audit")
      .select(["action", "actor"])
      .where("tenant_id", "=", tenantId)
      .where("action", "in", ["user.signed_in", "user.signed_out", "user.password_reset", "user.disabled"])
      .orderBy("seq")
      .execute();
    expect(
      trail.filter((e) => e.action === "user.signed_in").every((e) => e.actor === "user:s@example.pk"),
    ).toBe(true);
    expect(trail.map((e) => e.action)).toContain("user.signed_out");
    expect(trail.find((e) => e.action === "user.password_reset")?.actor).toBe("user:admin@example.pk");
    expect(trail.find((e) => e.action === "user.disabled")?.actor).toBe("cli");
  });
});
