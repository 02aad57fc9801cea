// The real `raseed` CLI (packages/cli/bin/raseed.js) run as a child process, for the CLI tests.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../cli/bin/raseed.js", import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to every call after the command's own arguments. */
  trailingArgs?: readonly string[];
  /** The environment of every call (default: this process's). */
  env?: Record<string, string | undefined>;
}

/** A function that runs `raseed <args>` to completion with `options`, plus per-call input and environment. */
export function cliRunner(options: CliOptions = {}) {
  return (
    args: readonly string[],
    call: { input?: string; env?: Record<string, string> } = {},
  ): CliResult => {
    const result = spawnSync(process.execPath, [CLI, ...args, ...(options.trailingArgs ?? [])], {
      encoding: "utf8",
      env: { ...(options.env ?? process.env), ...(call.env ?? {}) },
      timeout: 60_000,
      ...(call.input !== undefined ? { input: call.input } : {}),
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
}
