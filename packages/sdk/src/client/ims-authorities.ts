// The revenue authorities that run FBR's IMS model (a till's fiscal component posting PostData): FBR for
// federal sales tax on goods, PRA (Punjab Revenue Authority) for Punjab's sales tax on services on its own
// hosts. Sources and confidence are in spec/README.md ("IMS authorities") and spec/data/ims-authorities.json.

/** Which authority a till reports to. */
export type ImsAuthority = "fbr" | "pra";

export interface ImsAuthorityFacts {
  /** The authority's own name, as a receipt prints it. */
  name: string;
  /** How receipts and messages abbreviate it. */
  shortName: string;
  /** The registration number the authority issues its taxpayers, as printed ("NTN", "PNTN"). */
  registrationLabel: string;
  /** PostData origin and path per environment. */
  postData: { sandbox: { origin: string; path: string }; production: { origin: string; path: string } };
}

export const IMS_AUTHORITIES: Readonly<Record<ImsAuthority, ImsAuthorityFacts>> = {
  // FBR-SPEC §11 [CONFIRMED]: sandbox on esp.fbr.gov.pk:8244, production behind gw.fbr.gov.pk.
  fbr: {
    name: "Federal Board of Revenue",
    shortName: "FBR",
    registrationLabel: "NTN",
    postData: {
      sandbox: { origin: "https://esp.fbr.gov.pk:8244", path: "/FBR/v1/api/Live/PostData" },
      production: { origin: "https://gw.fbr.gov.pk", path: "/imsp/v1/api/Live/PostData" },
    },
  },
  // [CONFIRMED by several integrators' code; PRA publishes no endpoint list of its own] (spec/README.md):
  // PRAL hosts PRA's IMS. Same model, Bearer token per POS, IP whitelisting in production.
  pra: {
    name: "Punjab Revenue Authority",
    shortName: "PRA",
    registrationLabel: "PNTN",
    postData: {
      sandbox: { origin: "https://ims.pral.com.pk", path: "/ims/sandbox/api/Live/PostData" },
      production: { origin: "https://ims.pral.com.pk", path: "/ims/production/api/Live/PostData" },
    },
  },
};

/**
 * The authority whose PostData path a URL names, or undefined. A sale's accepting attempt records the URL it
 * was posted to, so this tells who issued its number even after the tenant's setting changed (the host may be
 * a relay or the simulator; the path is the authority's own).
 */
export function imsAuthorityOfUrl(url: string): ImsAuthority | undefined {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return undefined;
  }
  for (const authority of Object.keys(IMS_AUTHORITIES) as ImsAuthority[]) {
    const { sandbox, production } = IMS_AUTHORITIES[authority].postData;
    if (pathname === sandbox.path || pathname === production.path) return authority;
  }
  return undefined;
}
