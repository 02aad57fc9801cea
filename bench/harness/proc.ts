// Each server under test runs as its own node process, so the load generator (wrk, another process) and the
// bench driver never share its event loop or its heap. A server prints one JSON line on stdout when it
// listens ({ "url": ..., ... }); the driver reads that line and later stops the process with SIGTERM.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = join(benchDir, "..");

export interface BenchServer<T> {
  readonly info: T;
  readonly pid: number;
  /** Resident set size of the server process now, in bytes (from /proc, measured from outside). */
  rss(): number;
  /** The process's peak resident set size so far (VmHWM), in bytes. */
  peakRss(): number;
  /**
   * CPU seconds the process has used so far, all its threads, user and system (from /proc/<pid>/stat). Work
   * per request, unlike a rate, hardly moves when other processes load the machine: A/B runs on a busy
   * machine compare by it.
   */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]) * 1024;
}

// The kernel's clock ticks per second for /proc times (USER_HZ, 100 on Linux everywhere this runs).
const USER_HZ = 100;

/** The fields of /proc/<pid>/stat after the command name, from the state (field 3) on. */
function statFields(pid: number | string): string[] {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ")".
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the state field.
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/**
 * CPU seconds used so far by a process and all its descendants (e.g. a PostgreSQL cluster: the postmaster,
 * its backends and background workers), user and system: each living process's own time, plus the time of
 * children that already exited and were waited for (cutime and cstime, fields 16 and 17).
 */
export function processTreeCpuSeconds(rootPid: number): number {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parentOf.set(Number(entry), Number(statFields(entry)[1]));
    } catch {
      // The process exited while we listed /proc.
    }
  }
  let ticks = 0;
  for (const pid of parentOf.keys()) {
    let ancestor: number | undefined = pid;
    while (ancestor !== undefined && ancestor !== rootPid && ancestor > 1) ancestor = parentOf.get(ancestor);
    if (ancestor !== rootPid) continue;
    try {
      const fields = statFields(pid);
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // Exited since: its time is in its parent's cutime/cstime from now on (a few ticks may be missed).
    }
  }
  return ticks / USER_HZ;
}

/**
 * CPU seconds this machine's cores have spent busy since boot, all processes together (/proc/stat: user,
 * nice, system, irq, softirq and steal; not idle or iowait).
 */
export function machineBusySeconds(): number {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0) / USER_HZ;
}

/**
 * Starts `bench/servers/<name>.ts` with the given arguments and waits for its ready line. `nodeArgs` go to
 * node itself (e.g. --cpu-prof).
 */
export async function startServer<T>(
  name: string,
  args: Record<string, string | number | boolean> = {},
  nodeArgs: string[] = [],
): Promise<BenchServer<T>> {
  const argv = Object.entries(args).map(([key, value]) => `--${key}=${String(value)}`);
  const child = spawn(
    process.execPath,
    [
      "--conditions=@raseed/source",
      "--import",
      "tsx",
      ...nodeArgs,
      join(benchDir, "servers", `${name}.ts`),
      ...argv,
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const info = await new Promise<T>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once("line", (line) => {
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`bench: server ${name} printed ${line}`));
      }
    });
    child.once("exit", (code) =>
      reject(new Error(`bench: server ${name} exited (${code}) before it listened:\n${stderr}`)),
    );
  });
  return benchServer(child, info);
}

/** A started server process as a BenchServer: its memory read from /proc, stopped with SIGTERM. */
export function benchServer<T>(child: ChildProcess, info: T, afterStop?: () => void): BenchServer<T> {
  const pid = child.pid as number;
  return {
    info,
    pid,
    rss: () => statusField(pid, "VmRSS"),
    peakRss: () => statusField(pid, "VmHWM"),
    cpuSeconds: () => cpuSeconds(pid),
    stop: async () => {
      await stopChild(child);
      afterStop?.();
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Reads `--name=value` arguments of a server script. */
export function serverArgs(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of process.argv.slice(2)) {
    const match = /^--([^=]+)=(.*)$/.exec(arg);
    if (match?.[1] !== undefined) out[match[1]] = match[2] ?? "";
  }
  return out;
}

/** Prints the ready line and stops cleanly on SIGTERM. */
export function ready(info: Record<string, unknown>, close: () => Promise<void>): void {
  process.stdout.write(`${JSON.stringify({ ...info, pid: process.pid })}\n`);
  const stop = () => {
    void close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
