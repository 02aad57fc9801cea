// The simulator's "world": which sellers, tokens, buyers and POS terminals exist. FBR's real world is
// IRIS registrations and PRAL-issued tokens; the simulator keeps a small, documented stand-in.
import { scenarioIds } from "./scenarios.ts";

export type DiEnvironment = "sandbox" | "production";

export interface SimSeller {
  /** 7-digit NTN or 13-digit CNIC, as the seller sends it in `sellerNTNCNIC`. */
  readonly ntn: string;
  readonly businessName: string;
  readonly province: string;
  readonly sandboxToken?: string;
  readonly productionToken?: string;
  /** Scenario ids assigned to the seller in IRIS › Sandbox (0203 for any other on `_sb`). */
  readonly scenarios: readonly string[];
}

export interface SimPosTerminal {
  /** FBR POS registration number (IMS `POSID`). */
  readonly posId: string;
  readonly token: string;
  /** IMS paths this token is subscribed to: sandbox `/FBR/v1/...`, production `/imsp/v1/...`. */
  readonly environments: readonly DiEnvironment[];
}

export interface SimWorld {
  readonly sellers: readonly SimSeller[];
  /** NTN/CNICs on the simulated sales-tax register (0205 on registered-buyer scenarios otherwise). */
  readonly registeredBuyers: readonly string[];
  readonly posTerminals: readonly SimPosTerminal[];
}

/**
 * The world the simulator knows with no config: enough to try every endpoint without reading further.
 * Values are FBR's own public sample identities (2046004 is the registered sandbox buyer; POSID 110014
 * with its token is the public IMS sample).
 */
export const DEMO_WORLD = Object.freeze({
  seller: {
    ntn: "7000007",
    businessName: "Demo Traders",
    province: "Sindh",
    address: "Karachi",
    sandboxToken: "sandbox-demo-token",
    productionToken: "production-demo-token",
  },
  registeredBuyer: "2046004",
  /** The spec's dummy unregistered CNICs (sandbox identities, FBR-SPEC §5). */
  unregisteredBuyers: ["1000000000000", "1000000000056", "1000000000078", "3710505701479"],
  posTerminal: { posId: "110014", token: "1298b5eb-b252-3d97-8622-a4a69d5bf818" },
} as const);

export function demoWorld(): SimWorld {
  return {
    sellers: [
      {
        ntn: DEMO_WORLD.seller.ntn,
        businessName: DEMO_WORLD.seller.businessName,
        province: DEMO_WORLD.seller.province,
        sandboxToken: DEMO_WORLD.seller.sandboxToken,
        productionToken: DEMO_WORLD.seller.productionToken,
        scenarios: scenarioIds(),
      },
    ],
    registeredBuyers: [DEMO_WORLD.registeredBuyer],
    posTerminals: [
      {
        posId: DEMO_WORLD.posTerminal.posId,
        token: DEMO_WORLD.posTerminal.token,
        environments: ["sandbox", "production"],
      },
    ],
  };
}

/** What a bearer token grants, resolved once per request by the auth step. */
export type TokenGrant =
  | { readonly kind: "di"; readonly environment: DiEnvironment; readonly seller: SimSeller }
  | { readonly kind: "ims"; readonly terminal: SimPosTerminal };

export interface WorldIndex {
  readonly world: SimWorld;
  grantForToken(token: string): TokenGrant | undefined;
  isRegisteredBuyer(ntnOrCnic: string): boolean;
}

export function indexWorld(world: SimWorld): WorldIndex {
  const grants = new Map<string, TokenGrant>();
  const add = (token: string, grant: TokenGrant) => {
    if (grants.has(token)) throw new Error("simulator world: the same token is given to two owners");
    grants.set(token, grant);
  };
  for (const seller of world.sellers) {
    if (seller.sandboxToken) add(seller.sandboxToken, { kind: "di", environment: "sandbox", seller });
    if (seller.productionToken)
      add(seller.productionToken, { kind: "di", environment: "production", seller });
  }
  for (const terminal of world.posTerminals) add(terminal.token, { kind: "ims", terminal });
  const registered = new Set(world.registeredBuyers.map((id) => id.trim()));
  return {
    world,
    grantForToken: (token) => grants.get(token),
    isRegisteredBuyer: (id) => registered.has(id.trim()),
  };
}
