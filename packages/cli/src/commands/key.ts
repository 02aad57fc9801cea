import type { Command } from "commander";

/** Registers `raseed key`. */
export function registerKeyCommand(program: Command): void {
  void program;
}
