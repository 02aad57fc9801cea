import type { Command } from "commander";

/** Registers `raseed serve`. */
export function registerServeCommand(program: Command): void {
  void program;
}
