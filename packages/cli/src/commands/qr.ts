import type { Command } from "commander";

/** Registers `raseed qr`. */
export function registerQrCommand(program: Command): void {
  void program;
}
