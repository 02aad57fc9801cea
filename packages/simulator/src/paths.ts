// Every path the simulator serves as FBR. Fault rules are keyed by these paths, so a rule for any other
// path (a typo) is refused with the key named instead of silently never firing.
import { REFERENCE_GET_PATHS } from "./reference.ts";

export const DI_PATHS = {
  "/di_data/v1/di/postinvoicedata": { environment: "production", endpoint: "post" },
  "/di_data/v1/di/postinvoicedata_sb": { environment: "sandbox", endpoint: "post" },
  "/di_data/v1/di/validateinvoicedata": { environment: "production", endpoint: "validate" },
  "/di_data/v1/di/validateinvoicedata_sb": { environment: "sandbox", endpoint: "validate" },
} as const;

/**
 * IMS cloud: production behind gw.fbr.gov.pk, sandbox on esp.fbr.gov.pk:8244 (FBR-SPEC §11); and PRA
 * (Punjab)'s IMS on PRAL's ims.pral.com.pk, the same model (sdk IMS_AUTHORITIES, spec/README.md).
 */
export const IMS_PATHS = {
  "/imsp/v1/api/Live/PostData": "production",
  "/FBR/v1/api/Live/PostData": "sandbox",
  "/ims/production/api/Live/PostData": "production",
  "/ims/sandbox/api/Live/PostData": "sandbox",
} as const;

export const DIST_PATHS = ["/dist/v1/statl", "/dist/v1/Get_Reg_Type"] as const;

/** DI, IMS and reference paths, in one list. */
export const SERVED_FBR_PATHS: readonly string[] = [
  ...Object.keys(DI_PATHS),
  ...Object.keys(IMS_PATHS),
  ...REFERENCE_GET_PATHS,
  ...DIST_PATHS,
];
