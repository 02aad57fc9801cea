import type { Command } from "commander";

/** Registers `raseed tenant`. */
export function registerTenantCommand(program: Command): void {
  void program;
}
