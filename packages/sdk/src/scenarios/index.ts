// Sandbox scenarios SN001-SN028: catalogue, PRAL's sample payloads and the activity x sector matrix.
export type { ScenarioInfo } from "./catalogue.ts";
export { scenarioById, scenarioCatalogue, scenarioPralSample, scenarioSamplePayload } from "./catalogue.ts";
export type { CertificationOptions } from "./certification.ts";
export {
  certificationCorrections,
  certificationInvoice,
  certificationNeedsRegisteredBuyer,
  SANDBOX_REGISTERED_BUYER,
  SANDBOX_UNREGISTERED_BUYER,
} from "./certification.ts";
export type { ScenarioLookupErrorCode } from "./errors.ts";
export { ScenarioLookupError } from "./errors.ts";
export {
  businessActivities,
  scenarioSectors,
  scenariosForActivities,
  scenariosForActivity,
} from "./matrix.ts";
