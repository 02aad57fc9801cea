// FBR reference data from the sdk's offline snapshot (the same tables FBR's reference APIs serve), so an
// ERP can build valid invoices without its own FBR token.
import {
  debitNoteReasons,
  docTypeRows,
  provinceRows,
  ratesForTransactionType,
  scenarioCatalogue,
  sroItemSerials,
  sroScheduleNames,
  transactionTypes,
  uomRows,
} from "@raseed/sdk";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../api-error.ts";
import type { AppDeps } from "../deps.ts";
import { describeRoute } from "../openapi.ts";

const referenceTables: Record<string, (query: Record<string, string | undefined>) => unknown> = {
  provinces: () => provinceRows(),
  "document-types": () => docTypeRows(),
  uoms: () => uomRows(),
  "transaction-types": () => transactionTypes(),
  rates: (query) => {
    const id = Number(query.transTypeId);
    if (!Number.isInteger(id)) throw new ApiError(400, "bad_request", "rates needs ?transTypeId=<number>");
    return ratesForTransactionType(id);
  },
  "debit-note-reasons": () => debitNoteReasons(),
  "sro-schedules": () => sroScheduleNames(),
  "sro-item-serials": () => sroItemSerials(),
  scenarios: () => scenarioCatalogue,
};

export const referenceNames = Object.keys(referenceTables);

export function registerReferenceRoutes(app: FastifyInstance, _deps: AppDeps): void {
  app.get<{ Params: { name: string }; Querystring: Record<string, string | undefined> }>(
    "/v1/reference/:name",
    {
      config: { scope: "reference:read" },
      schema: describeRoute(`FBR reference data: ${Object.keys(referenceTables).join(", ")}`, {
        tags: ["reference"],
      }),
    },
    async (request, reply) => {
      const table = referenceTables[request.params.name];
      if (table === undefined) {
        throw new ApiError(
          404,
          "not_found",
          `no reference table "${request.params.name}"; known: ${referenceNames.join(", ")}`,
        );
      }
      // The snapshot only changes with a new release: let clients cache it for an hour.
      reply.header("Cache-Control", "private, max-age=3600");
      return { name: request.params.name, rows: table(request.query) };
    },
  );
}
