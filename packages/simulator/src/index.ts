// Public API of @raseed/simulator: an offline FBR (DI, reference APIs, IMS) with fault injection.
export type { SimulatorConfig, SimulatorConfigInput } from "./config.ts";
export {
  loadSimulatorConfigFile,
  parseSimulatorConfig,
  SimulatorConfigError,
  simulatorConfigSchema,
} from "./config.ts";
export type { FaultConfig, FaultKind, FaultRule } from "./faults.ts";
export {
  DEFAULT_FAIL_KINDS,
  FAULT_KINDS,
  faultConfigSchema,
  parseFaultHeader,
  parseLatency,
  seededRandom,
} from "./faults.ts";
export { diItemNumber, FbrNumberIssuer } from "./numbering.ts";
export type { SellerIdentity } from "./scenarios.ts";
export { scenarioPayloadForSeller } from "./scenarios.ts";
export type { RunningSimulator, SimulatorOptions } from "./server.ts";
export { buildSimulatorApp, DI_PATHS, IMS_PATHS, SIMULATOR_BODY_LIMIT, startSimulator } from "./server.ts";
export type { AcceptedInvoice, ListedInvoice } from "./store.ts";
export { payloadHash } from "./store.ts";
export type { SimPosTerminal, SimSeller, SimWorld } from "./world.ts";
export { DEMO_WORLD, demoWorld } from "./world.ts";
