import type { Command } from "commander";

/** Registers `raseed validate`. */
export function registerValidateCommand(program: Command): void {
  void program;
}
