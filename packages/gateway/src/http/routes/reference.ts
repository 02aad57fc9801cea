// FBR reference data from the sdk's offline snapshot (the same tables FBR's reference APIs serve), so an
// ERP can build valid invoices without its own FBR token.
import {
  debitNoteReasons,
  docTypeRows,
  provinceRows,
  ReferenceClient,
  ratesForTransactionType,
  scenarioCatalogue,
  sroItemSerials,
  sroScheduleNames,
  transactionTypes,
  uomRows,
} from "@raseed/sdk";
import type { FastifyInstance } from "fastify";
import type { TenantRow } from "../../store/schema.ts";
import { fbrConnectionsOf } from "../../tenants/fbr-connections.ts";
import { transportFingerprint } from "../../tenants/transport.ts";
import { ApiError } from "../api-error.ts";
import type { AppDeps } from "../deps.ts";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute } from "../openapi.ts";
import { referenceTableSchema } from "../views.ts";

// Maps, not object literals: a table name comes from the URL, and a plain object would answer for
// `__proto__`, `constructor` or `valueOf` with what it inherits (issue 13: 500s and nonsense 200s).
const referenceTables = new Map<string, (query: Record<string, string | undefined>) => unknown>([
  ["provinces", () => provinceRows()],
  ["document-types", () => docTypeRows()],
  ["uoms", () => uomRows()],
  ["transaction-types", () => transactionTypes()],
  [
    "rates",
    (query) => {
      const id = Number(query.transTypeId);
      if (!Number.isInteger(id)) throw new ApiError("bad_request", "rates needs ?transTypeId=<number>");
      return ratesForTransactionType(id);
    },
  ],
  ["debit-note-reasons", () => debitNoteReasons()],
  ["sro-schedules", () => sroScheduleNames()],
  ["sro-item-serials", () => sroItemSerials()],
  ["scenarios", () => scenarioCatalogue],
]);

export const referenceNames = [...referenceTables.keys()];

/** Tables that FBR's reference APIs serve live (with the tenant's token), cached by the sdk's client. */
const liveTables = new Map<string, (client: ReferenceClient) => Promise<unknown>>([
  ["provinces", (client) => client.provinces()],
  ["document-types", (client) => client.docTypeCodes()],
  ["uoms", (client) => client.uoms()],
  ["transaction-types", (client) => client.transactionTypeCodes()],
  ["item-codes", (client) => client.itemDescCodes()],
]);

const unknownTable = (name: string) =>
  new ApiError("not_found", `no reference table "${name}"; known: ${referenceNames.join(", ")}`);

export function registerReferenceRoutes(app: FastifyInstance, deps: AppDeps): void {
  // One cached client per tenant token and transport: answers are reused for the sdk's TTL (24 h) and fall
  // back to the offline snapshot when FBR cannot answer.
  const clients = new Map<string, ReferenceClient>();
  const clientFor = (tenant: TenantRow): ReferenceClient => {
    const cacheKey = `${tenant.id}:${transportFingerprint(tenant)}`;
    let client = clients.get(cacheKey);
    if (client === undefined) {
      client = new ReferenceClient({
        ...fbrConnectionsOf(deps).forTenant(tenant),
        timeoutMs: deps.config.fbrTimeoutMs,
      });
      clients.set(cacheKey, client);
    }
    return client;
  };

  app.get<{ Params: { name: string }; Querystring: Record<string, string | undefined> }>(
    "/v1/reference/:name",
    {
      config: { scope: "reference:read" },
      schema: describeRoute(`FBR reference data: ${referenceNames.join(", ")}`, {
        tags: ["reference"],
        responses: { 200: { description: "The table's rows", json: referenceTableSchema } },
        errors: { 400: ["bad_request"], 404: ["not_found"] },
      }),
    },
    async (request, reply) => {
      if (request.query.live === "true") {
        const live = liveTables.get(request.params.name);
        if (live === undefined) {
          if (!referenceTables.has(request.params.name)) throw unknownTable(request.params.name);
          throw new ApiError(
            "bad_request",
            `live=true is available for ${[...liveTables.keys()].join(", ")}`,
          );
        }
        return {
          name: request.params.name,
          live: true,
          rows: await live(clientFor(requireAuth(request).tenant)),
        };
      }
      const table = referenceTables.get(request.params.name);
      if (table === undefined) throw unknownTable(request.params.name);
      // The snapshot only changes with a new release: let clients cache it for an hour.
      reply.header("Cache-Control", "private, max-age=3600");
      return { name: request.params.name, rows: table(request.query) };
    },
  );
}
