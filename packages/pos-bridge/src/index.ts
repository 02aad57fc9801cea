// @raseed/pos-bridge: a cross-platform drop-in for FBR's Windows IMS fiscal component.

export * from "./admin.ts";
export * from "./config.ts";
export * from "./journal.ts";
export * from "./protocol.ts";
export * from "./receipts/index.ts";
export * from "./server.ts";
export * from "./service.ts";
export * from "./telemetry.ts";
export * from "./upload.ts";
