// The load generator: wrk in its own process (Debian's /usr/bin/wrk; .ci/run installs it), driven by
// load.lua, which makes every request a distinct invoice and prints the figures as one JSON line.
import { execFile } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const script = join(dirname(fileURLToPath(import.meta.url)), "load.lua");

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Requests per second over the run. */
  rate: number;
  errors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  /** A JSON body; every "@@N@@" in it is replaced by a number unique to the request. GET when absent. */
  body?: string;
  authorization?: string;
  /** A Cookie header (a dashboard session). */
  cookie?: string;
  /** A header that carries the request's unique number too (e.g. Idempotency-Key). */
  keyHeader?: string;
  /** Keeps numbers unique across runs against one server. */
  prefix?: string;
  /** Text every response body must contain (e.g. `"Code":"100"`); the others count as errors. */
  expect?: string;
}

export function wrkPath(): string | undefined {
  for (const candidate of ["/usr/bin/wrk", "/usr/local/bin/wrk"]) if (existsSync(candidate)) return candidate;
  return undefined;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const wrk = wrkPath();
  if (wrk === undefined) throw new Error("bench: wrk is not installed (apt-get install wrk)");
  let bodyFile = "";
  if (options.body !== undefined) {
    bodyFile = join(tmpdir(), `raseed-bench-body-${process.pid}.json`);
    writeFileSync(bodyFile, options.body);
  }
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      wrk,
      [
        "-t1",
        `-c${options.connections}`,
        `-d${options.seconds}s`,
        "--timeout",
        "30s",
        "-s",
        script,
        options.url,
      ],
      {
        env: {
          ...process.env,
          BENCH_BODY_FILE: bodyFile,
          BENCH_AUTH: options.authorization ?? "",
          BENCH_COOKIE: options.cookie ?? "",
          BENCH_KEY_HEADER: options.keyHeader ?? "",
          BENCH_PREFIX: options.prefix ?? `p${Date.now().toString(36)}`,
          BENCH_EXPECT: options.expect ?? "",
        },
        maxBuffer: 1 << 20,
      },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    );
  });
  const line = stdout.split("\n").find((l) => l.startsWith("{"));
  if (line === undefined) throw new Error(`bench: wrk printed no figures:\n${stdout}`);
  const raw = JSON.parse(line) as Record<string, number>;
  const n = (key: string) => raw[key] ?? 0;
  const seconds = n("durationUs") / 1e6;
  return {
    requests: n("requests"),
    seconds,
    rate: n("requests") / seconds,
    errors:
      n("connectErrors") +
      n("readErrors") +
      n("writeErrors") +
      n("statusErrors") +
      n("timeouts") +
      n("unexpected"),
    p50Ms: n("p50Us") / 1000,
    p90Ms: n("p90Us") / 1000,
    p99Ms: n("p99Us") / 1000,
    meanMs: n("meanUs") / 1000,
  };
}
