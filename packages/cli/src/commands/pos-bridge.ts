import type { Command } from "commander";

/** Registers `raseed pos-bridge`. */
export function registerPosBridgeCommand(program: Command): void {
  void program;
}
