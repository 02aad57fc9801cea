// Public API of @raseed/sdk. Each area re-exports its public names from its own index.ts;
// anything under an `internal/` folder is private to the area.
export * from "./client/index.ts";
export * from "./errors/index.ts";
export * from "./gateway/index.ts";
export * from "./model/index.ts";
export * from "./print/index.ts";
export * from "./qr/index.ts";
export * from "./reference/index.ts";
export * from "./scenarios/index.ts";
export * from "./tax/index.ts";
export * from "./time/index.ts";
export * from "./validation/index.ts";
export * from "./wire/index.ts";
