import type { Command } from "commander";

/** Registers `raseed audit`. */
export function registerAuditCommand(program: Command): void {
  void program;
}
