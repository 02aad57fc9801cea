export * from "./catalogue.ts";
export * from "./classes.ts";
export * from "./redaction.ts";
