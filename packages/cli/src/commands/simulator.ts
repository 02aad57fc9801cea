import type { Command } from "commander";

/** Registers `raseed simulator`. */
export function registerSimulatorCommand(program: Command): void {
  void program;
}
