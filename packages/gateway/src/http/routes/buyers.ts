// GET /v1/buyers/:ntnOrCnic: FBR's STATL and Get_Reg_Type answers for a buyer, so an ERP (or the
// dashboard's invoice form) can fill buyerRegistrationType the way FBR will check it (0053).
import { ReferenceApiError } from "@raseed/sdk";
import type { FastifyInstance } from "fastify";
import { BuyerLookup, buyerLookupOf } from "../../buyers/buyer-lookup.ts";
import { ApiError } from "../api-error.ts";
import type { AppDeps } from "../deps.ts";
import { requireAuth } from "../middleware/auth.ts";
import { describeRoute } from "../openapi.ts";
import { buyerAnswerSchema } from "../views.ts";

export function registerBuyerRoutes(app: FastifyInstance, deps: AppDeps): void {
  const buyers = buyerLookupOf(deps);
  app.get<{ Params: { ntnOrCnic: string } }>(
    "/v1/buyers/:ntnOrCnic",
    {
      config: { scope: "reference:read" },
      schema: describeRoute(
        "A buyer's registration type (Get_Reg_Type) and active status (STATL) as FBR answers today; cached per Pakistan day",
        {
          tags: ["reference"],
          responses: {
            200: { description: "FBR's answers (or the day's cached ones)", json: buyerAnswerSchema },
          },
          errors: { 400: ["bad_request"], 502: ["fbr_unauthorised", "fbr_unavailable"] },
        },
      ),
    },
    async (request) => {
      const { tenant } = requireAuth(request);
      const raw = request.params.ntnOrCnic;
      if (BuyerLookup.normalise(raw) === undefined) {
        throw new ApiError(
          "bad_request",
          `"${raw}" is not a 7-digit NTN, an NTN with check digit (1234567-8) or a 13-digit CNIC`,
        );
      }
      try {
        return await buyers.lookup(tenant, raw);
      } catch (error) {
        if (!(error instanceof ReferenceApiError)) throw error;
        if (error.code === "reference_unauthorised") {
          throw new ApiError("fbr_unauthorised", `${error.message}; update the tenant's FBR token`);
        }
        throw new ApiError("fbr_unavailable", `FBR could not answer: ${error.message}`);
      }
    },
  );
}
