// Settings (admins only): seller details and environment, the FBR token (set or replaced, never shown)
// with a connection test that explains FBR's refusals, webhooks, API keys (shown once) and people. Every
// change calls the same service the CLI and API use, with the person as the audit actor; a one-time secret
// is rendered into the answer page, never put in a URL.
import { IMS_AUTHORITIES, type PostOutcome, scenarioSamplePayload } from "@raseed/sdk";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { certificationStatus } from "../../certification/certification-service.ts";
import { asApiError } from "../../http/api-error.ts";
import { createFbrClient, fbrTransport } from "../../outbox/dispatch.ts";
import { generatePassword } from "../../people/passwords.ts";
import { addUser, disableUser, listUsers, personActor, resetPassword } from "../../people/users.ts";
import type { TenantRow } from "../../store/schema.ts";
import {
  createApiKey,
  listApiKeys,
  revokeApiKey,
  setTenantToken,
  TenantError,
  updateTenant,
} from "../../tenants/tenants.ts";
import {
  openTenantTransport,
  proxyOrigin,
  summariseTenantTransport,
  type TenantTransportSummary,
} from "../../tenants/transport.ts";
import { createWebhook, disableWebhook, listWebhooks } from "../../webhooks/webhooks.ts";
import { type DashboardDeps, PageError, render, requirePermission } from "../context.ts";

type Body = Record<string, unknown>;

function field(body: Body, name: string, max = 500): string {
  const value = body[name];
  return typeof value === "string" ? value.trim().slice(0, max) : "";
}

export interface SettingsMessage {
  tone: "good" | "bad" | "warn";
  text: string;
  /** A secret shown this once (new API key, webhook secret, generated password). */
  secret?: string;
}

/** What a connection test's outcome means for the person fixing it (FBR-SPEC §2: token + IP whitelist). */
export function explainConnection(outcome: PostOutcome): SettingsMessage {
  const status =
    "exchange" in outcome && outcome.exchange !== undefined ? outcome.exchange.status : undefined;
  switch (outcome.kind) {
    case "accepted":
    case "rejected":
      return { tone: "good", text: "FBR answered with this token: it works from this server." };
    case "unauthorised":
      if (status === 401)
        return {
          tone: "bad",
          text: "FBR refused the token (401): it is wrong, expired or for the other environment. Copy the token again from IRIS (sandbox and production tokens differ).",
        };
      return {
        tone: "bad",
        text: `FBR refused access (${status ?? "403"}: ${outcome.reason}). The token is not subscribed to this API or environment, or PRAL has not whitelisted this server's public IP address: add it in IRIS (up to 3 addresses; PRAL approves in about 2 working hours).`,
      };
    case "throttled":
      return {
        tone: "warn",
        text: `FBR is limiting requests right now (${outcome.reason}). Try again in a minute.`,
      };
    default:
      return {
        tone: "bad",
        text: `FBR could not be reached (${outcome.reason}). If other machines reach FBR, PRAL has probably not whitelisted this server's public IP address: add it in IRIS, and PRAL approves it in about 2 working hours.`,
      };
  }
}

export function registerSettingsPages(app: FastifyInstance, deps: DashboardDeps): void {
  const { db } = deps.store;

  /** How this seller reaches FBR, in one line for the token card (never a key, secret or password). */
  function transportLine(tenant: TenantRow): string {
    let summary: TenantTransportSummary | undefined;
    try {
      const stored = openTenantTransport(deps.masterKey, tenant);
      summary = stored === undefined ? undefined : summariseTenantTransport(stored);
    } catch {
      return "The stored transport cannot be opened with this server's master key.";
    }
    const proxy = summary?.proxy ?? (deps.config.fbrProxy === "direct" ? undefined : deps.config.fbrProxy);
    const parts = [
      summary?.fbrUrl !== undefined ? `Through the relay ${summary.fbrUrl}` : "Straight to FBR",
      proxy === undefined || proxy === "direct" ? undefined : `via the proxy ${proxyOrigin(proxy)}`,
      summary?.clientCertificate === undefined
        ? undefined
        : `with the client certificate ${summary.clientCertificate.subject.replace(/\n/g, ", ")} (valid to ${summary.clientCertificate.validTo})`,
      summary?.oauth2 === undefined
        ? undefined
        : `with an OAuth2 token for ${summary.oauth2.clientId} instead of the token below`,
    ];
    return `${parts.filter((part) => part !== undefined).join(", ")}.`;
  }

  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    tenant: TenantRow,
    message: SettingsMessage | null = null,
    extra: Record<string, unknown> = {},
    status = 200,
  ): Promise<FastifyReply> {
    const [webhooks, keys, people, certification] = await Promise.all([
      listWebhooks(db, tenant.id),
      listApiKeys(db, tenant.id),
      listUsers(db, tenant.id),
      certificationStatus(db, tenant.id),
    ]);
    return render(
      reply,
      request,
      "settings",
      {
        title: "Settings",
        tenant,
        transport: transportLine(tenant),
        // Read-only here: changed with `raseed tenant update --ims-authority` (audited there).
        imsAuthority: `${IMS_AUTHORITIES[tenant.ims_authority].shortName} (${IMS_AUTHORITIES[tenant.ims_authority].name})`,
        webhooks,
        keys,
        people,
        certification,
        message,
        confirmProduction: false,
        ...extra,
      },
      status,
    );
  }

  /** Runs a settings change; a refusal by the service becomes a message on the page. */
  async function change(
    request: FastifyRequest,
    reply: FastifyReply,
    work: (tenant: TenantRow, actor: string, body: Body) => Promise<SettingsMessage>,
  ): Promise<FastifyReply> {
    const { tenant, user } = requirePermission(request, "configure");
    let message: SettingsMessage;
    let status = 200;
    try {
      message = await work(tenant, personActor(user), (request.body ?? {}) as Body);
    } catch (error) {
      const refused = asApiError(error);
      if (!(error instanceof TenantError) && !(refused !== undefined && refused.status < 500)) throw error;
      message = { tone: "bad", text: (error as Error).message };
      status = refused?.status ?? 400;
    }
    // Read the tenant again: the change may have been to it.
    const fresh = await db
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", tenant.id)
      .executeTakeFirstOrThrow();
    return show(request, reply, fresh, message, {}, status);
  }

  app.get("/settings", { config: { dashboard: true } }, async (request, reply) => {
    const { tenant } = requirePermission(request, "configure");
    return show(request, reply, tenant);
  });

  app.post("/settings/seller", { config: { dashboard: true } }, async (request, reply) => {
    const { tenant } = requirePermission(request, "configure");
    const body = (request.body ?? {}) as Body;
    const environment = field(body, "environment") === "production" ? "production" : "sandbox";
    // FBR expects a sandbox certification before production use: warn until a run has passed.
    if (
      environment === "production" &&
      tenant.environment !== "production" &&
      field(body, "confirm") !== "yes"
    ) {
      const status = await certificationStatus(db, tenant.id);
      if (!status.certified) {
        return show(
          request,
          reply,
          tenant,
          {
            tone: "warn",
            text: `No sandbox certification run has passed yet${status.missingScenarios.length > 0 ? ` (missing ${status.missingScenarios.join(", ")})` : ""}. FBR expects every assigned scenario to pass in the sandbox before production. Tick "I understand" to switch anyway.`,
          },
          { confirmProduction: true },
          409,
        );
      }
    }
    return change(request, reply, async (t, actor) => {
      await updateTenant(
        db,
        t.id,
        {
          name: field(body, "name"),
          province: field(body, "province"),
          address: field(body, "address"),
          environment,
        },
        actor,
      );
      return { tone: "good", text: "Seller details saved." };
    });
  });

  app.post("/settings/token", { config: { dashboard: true } }, async (request, reply) =>
    change(request, reply, async (tenant, actor, body) => {
      const token = field(body, "fbrToken", 4_096);
      if (field(body, "op") === "test") {
        // Asks FBR's validate endpoint (it stores nothing) with the typed token, or the stored one.
        const sample = scenarioSamplePayload("SN001");
        // The tenant's own way to FBR (relay, proxy, client certificate); a typed token replaces its token.
        const client = createFbrClient(fbrTransport(deps), {
          channel: "di",
          tenant,
          ...(token === "" ? {} : { token }),
        });
        const outcome = await client.validateInvoice({
          ...sample,
          sellerNTNCNIC: tenant.ntn,
          sellerBusinessName: tenant.name,
          sellerProvince: tenant.province,
          sellerAddress: tenant.address,
        });
        const explained = explainConnection(outcome);
        return {
          ...explained,
          text: `${token === "" ? "Stored token" : "Typed token (not saved)"}: ${explained.text}`,
        };
      }
      if (token === "") throw new TenantError("Paste the FBR token from IRIS first.");
      const { resumed } = await setTenantToken(db, deps.masterKey, tenant.id, token, actor);
      if (resumed > 0) deps.worker?.kick();
      return {
        tone: "good",
        text: `FBR token saved (encrypted; it is never shown again).${resumed > 0 ? ` ${resumed} paused invoice(s) are queued again.` : ""}`,
      };
    }),
  );

  app.post("/settings/webhooks", { config: { dashboard: true } }, async (request, reply) =>
    change(request, reply, async (tenant, actor, body) => {
      const created = await createWebhook(db, deps.masterKey, tenant.id, field(body, "url", 2_000), actor, {
        allowPrivateNetworks: deps.config.webhookAllowPrivateNetworks,
      });
      return {
        tone: "good",
        text: `Webhook added for ${created.url}. Its signing secret is shown only now: put it in the receiver.`,
        secret: created.secret,
      };
    }),
  );

  app.post<{ Params: { id: string } }>(
    "/settings/webhooks/:id/disable",
    { config: { dashboard: true } },
    async (request, reply) =>
      change(request, reply, async (tenant, actor) => {
        await disableWebhook(db, tenant.id, request.params.id, actor);
        return { tone: "good", text: "Webhook disabled." };
      }),
  );

  app.post("/settings/keys", { config: { dashboard: true } }, async (request, reply) =>
    change(request, reply, async (tenant, actor, body) => {
      const label = field(body, "label", 100);
      const created = await createApiKey(db, tenant.id, { actor, ...(label !== "" ? { label } : {}) });
      return {
        tone: "good",
        text: `API key ${created.id} created with ${created.scopes.join(", ")}. It is shown only now: store it in the ERP.`,
        secret: created.key,
      };
    }),
  );

  app.post<{ Params: { id: string } }>(
    "/settings/keys/:id/revoke",
    { config: { dashboard: true } },
    async (request, reply) =>
      change(request, reply, async (tenant, actor) => {
        // Only this tenant's keys: another tenant's key id is "not found" like an unknown one.
        const keys = await listApiKeys(db, tenant.id);
        if (!keys.some((k) => k.id === request.params.id)) throw new PageError(404, "No such API key.");
        await revokeApiKey(db, request.params.id, actor);
        return { tone: "good", text: `API key ${request.params.id} revoked: it stops working now.` };
      }),
  );

  app.post("/settings/people", { config: { dashboard: true } }, async (request, reply) =>
    change(request, reply, async (tenant, actor, body) => {
      const password = generatePassword();
      const added = await addUser(
        db,
        { tenant: tenant.id, email: field(body, "email", 254), role: field(body, "role"), password },
        actor,
      );
      return {
        tone: "good",
        text: `${added.email} can sign in as ${added.role} with this password, shown only now (they should keep it safe).`,
        secret: password,
      };
    }),
  );

  app.post("/settings/people/disable", { config: { dashboard: true } }, async (request, reply) =>
    change(request, reply, async (tenant, actor, body) => {
      const email = field(body, "email", 254);
      if (email === requirePermission(request, "configure").user.email)
        throw new TenantError("You cannot disable yourself; ask another admin.");
      const disabled = await disableUser(db, email, actor, tenant.id);
      return { tone: "good", text: `${disabled.email} is disabled; their sessions have ended.` };
    }),
  );

  app.post("/settings/people/reset", { config: { dashboard: true } }, async (request, reply) =>
    change(request, reply, async (tenant, actor, body) => {
      const password = generatePassword();
      const reset = await resetPassword(db, field(body, "email", 254), password, actor, tenant.id);
      return {
        tone: "good",
        text: `New password for ${reset.email}, shown only now. Their sessions have ended and the account is unlocked.`,
        secret: password,
      };
    }),
  );
}
