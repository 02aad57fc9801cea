// Raseed as others install it (issue 14). Three proofs, run in CI by `npm test`:
// 1. pack and install: `npm pack` every workspace package, install the tarballs into an empty temporary project
//    outside the repository, and run a plain JavaScript ESM script, a strict TypeScript file (type-checked by tsc,
//    compiled, run: builds, validates and posts an invoice to the simulator) and the installed `raseed` command;
// 2. production install: `npm ci --omit=dev` in a temporary copy of the built repository (no tsx, no TypeScript),
//    then the admin commands, `raseed serve` and `raseed pos-bridge`;
// 3. `npm start` passes SIGTERM to the gateway, which drains, frees its port and exits.
//
// Speed: tarballs come from the npm cache `npm ci` just warmed (--prefer-offline). Installs skip install scripts:
// the only production package with one is better-sqlite3, whose native addon the repository's `npm ci` already
// compiled for this Node; it is copied in (same pinned version) instead of being compiled again for minutes.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/consumer/", import.meta.url));
const PACKAGES = ["sdk", "simulator", "gateway", "pos-bridge", "cli"];
const LONG = 900_000; // npm and tsc on a loaded 2-core CI machine; bounded by work, not by a clock assertion
const DEMO_URL = /Raseed demo gateway: (http:\/\/127\.0\.0\.1:\d+)\s/;
const ADDON = "node_modules/better-sqlite3/build/Release/better_sqlite3.node";

const env = {
  ...process.env,
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
};
const scratch: string[] = [];
const children: ChildProcess[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

async function npm(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run("npm", args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

function workspaceVersion(name: string): string {
  return (
    JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }
  ).version;
}

function copyAddon(projectDir: string): void {
  mkdirSync(join(projectDir, "node_modules/better-sqlite3/build/Release"), { recursive: true });
  copyFileSync(join(ROOT, ADDON), join(projectDir, ADDON));
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts a command and resolves once its output matches every `ready` pattern (rejects if it exits first). */
async function startUntil(
  command: string,
  args: string[],
  cwd: string,
  ...ready: RegExp[]
): Promise<Started> {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let text = "";
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (ready.every((pattern) => pattern.test(text))) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exit.then((code) => reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${text}`)));
  });
  return { child, output: () => text, exit };
}

function portRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", () => resolve(true));
  });
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

beforeAll(async () => {
  // Never test a stale build: incremental, seconds when nothing changed.
  await run(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, env });
}, LONG);

afterAll(() => {
  // A failed assertion must not leave a server behind.
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
}, LONG);

describe("npm pack, then install the tarballs into an empty project", () => {
  let project: string;

  beforeAll(async () => {
    const tarballs = tempDir("raseed-tarballs-");
    const packed = JSON.parse(
      await npm(ROOT, [
        "pack",
        "--json",
        "--pack-destination",
        tarballs,
        ...PACKAGES.map((p) => `-w=packages/${p}`),
      ]),
    ) as { filename: string; files: { path: string }[] }[];
    expect(packed).toHaveLength(PACKAGES.length);
    for (const pack of packed) {
      const paths = pack.files.map((file) => file.path);
      expect(paths, pack.filename).toContain("dist/src/index.js");
      expect(paths, pack.filename).toContain("dist/src/index.d.ts");
      expect(
        paths.filter((path) => path.startsWith("src/") || path.endsWith(".test.js")),
        pack.filename,
      ).toEqual([]);
    }
    project = tempDir("raseed-consumer-");
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "consumer",
        private: true,
        type: "module",
        overrides: { "better-sqlite3": workspaceVersion("better-sqlite3") },
      }),
    );
    await npm(project, [
      "install",
      "--prefer-offline",
      "--ignore-scripts",
      ...packed.map((pack) => join(tarballs, pack.filename)),
      `typescript@${workspaceVersion("typescript")}`,
      `@types/node@${workspaceVersion("@types/node")}`,
    ]);
    copyAddon(project);
    for (const name of ["plain.mjs", "invoice.ts", "tsconfig.json"])
      copyFileSync(join(FIXTURES, name), join(project, name));
  }, LONG);

  it(
    "runs a plain JavaScript ESM script that imports every package",
    async () => {
      const { stdout } = await run(process.execPath, ["plain.mjs"], { cwd: project, env });
      const result = JSON.parse(stdout) as {
        valid: boolean;
        totalValues: number;
        qrSvg: boolean;
        exported: Record<string, number>;
      };
      expect(result.valid).toBe(true);
      expect(result.totalValues).toBe(1180);
      expect(result.qrSvg).toBe(true);
      for (const [name, count] of Object.entries(result.exported)) expect(count, name).toBeGreaterThan(0);
    },
    LONG,
  );

  it(
    "type-checks a strict TypeScript file with tsc, then builds, validates and posts an invoice to the simulator",
    async () => {
      await run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], {
        cwd: project,
        env,
      });
      const { stdout } = await run(process.execPath, ["out/invoice.js"], { cwd: project, env });
      const result = JSON.parse(stdout) as { kind: string; invoiceNumber: string | null };
      expect(result.kind).toBe("accepted");
      expect(result.invoiceNumber).toMatch(/^7000007DI\d+/);
    },
    LONG,
  );

  it(
    "runs the installed raseed command: validate, and serve until SIGTERM",
    async () => {
      const bin = join(project, "node_modules/.bin/raseed");
      writeFileSync(join(project, "draft.json"), readFileSync(join(ROOT, "examples/first-invoice.json")));
      const version = await run(bin, ["--version"], { cwd: project, env });
      expect(version.stdout.trim()).toBe("0.1.0");
      const bad = await run(bin, ["validate", "--kind", "di", "plain.mjs"], { cwd: project, env }).then(
        () => 0,
        (error: { code: number }) => error.code,
      );
      expect(bad).toBe(2); // not JSON: a usage/input error, exit 2, from the compiled CLI

      const dataDir = tempDir("raseed-packed-serve-");
      const server = await startUntil(
        bin,
        ["serve", "--demo", "--port", "0", "--data-dir", dataDir],
        project,
        /gateway listening/,
        DEMO_URL,
      );
      const url = DEMO_URL.exec(server.output())?.[1];
      expect(url).toBeDefined();
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      server.child.kill("SIGTERM");
      expect(await server.exit).toBe(0);
      expect(await portRefused(Number(new URL(url ?? "").port))).toBe(true);
    },
    LONG,
  );
});

describe("production install: npm ci --omit=dev in a copy of the built repository", () => {
  let copy: string;
  const raseed = (args: string[]) =>
    run(process.execPath, ["packages/cli/bin/raseed.js", ...args], { cwd: copy, env });

  beforeAll(async () => {
    copy = tempDir("raseed-production-");
    const { stdout } = await run("git", ["ls-files", "-z"], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
    const tracked = stdout
      .split("\0")
      .filter((path) => path !== "" && !path.startsWith("spec/") && !path.startsWith("docs/"));
    for (const path of tracked) {
      try {
        cpSync(join(ROOT, path), join(copy, path));
      } catch {
        // a file deleted in the working tree but still tracked
      }
    }
    for (const name of PACKAGES)
      cpSync(join(ROOT, "packages", name, "dist"), join(copy, "packages", name, "dist"), { recursive: true });
    await npm(copy, ["ci", "--omit=dev", "--prefer-offline", "--ignore-scripts"]);
    copyAddon(copy);
  }, LONG);

  it(
    "has no TypeScript tool chain, and its prepare step keeps the build",
    async () => {
      const { stderr } = await run("npm", ["run", "prepare"], { cwd: copy, env });
      expect(stderr).toContain("using the existing build");
      expect(
        await run(process.execPath, ["-e", "import('tsx')"], { cwd: copy, env }).then(
          () => "found",
          () => "absent",
        ),
      ).toBe("absent");
    },
    LONG,
  );

  it(
    "runs the admin commands, serve and pos-bridge from the build",
    async () => {
      const dataDir = tempDir("raseed-production-data-");
      const store = ["--data-dir", dataDir];
      const tokenFile = join(dataDir, "token.txt");
      writeFileSync(tokenFile, "sandbox-token\n");
      await raseed([
        "tenant",
        "add",
        "--ntn",
        "1234567",
        "--name",
        "Prod Co",
        "--province",
        "Punjab",
        "--address",
        "Lahore",
        "--fbr-token-file",
        tokenFile,
        ...store,
      ]);
      const key = await raseed(["key", "create", "--tenant", "1234567", ...store]);
      expect(key.stdout).toMatch(/rsd_/);
      const list = await raseed(["tenant", "list", ...store]);
      expect(list.stdout).toContain("1234567");
      await raseed(["audit", "verify", ...store]);

      const server = await startUntil(
        process.execPath,
        ["packages/cli/bin/raseed.js", "serve", "--port", "0", ...store],
        copy,
        // Raseed's own line comes once the signal handlers are in place; Fastify's "Server listening" comes before.
        /Raseed gateway listening/,
      );
      server.child.kill("SIGTERM");
      expect(await server.exit).toBe(0);

      const bridgeDir = tempDir("raseed-production-bridge-");
      const bridge = await startUntil(
        process.execPath,
        [
          "packages/cli/bin/raseed.js",
          "pos-bridge",
          "--port",
          "0",
          "--pos-id",
          "110014",
          "--token",
          "t",
          "--fbr-url",
          "http://127.0.0.1:9",
          "--data-dir",
          bridgeDir,
        ],
        copy,
        /pos-bridge listening on http/,
      );
      bridge.child.kill("SIGTERM");
      expect(await bridge.exit).toBe(0);
    },
    LONG,
  );
});

describe("npm start", () => {
  it(
    "hands SIGTERM to the gateway: it drains, frees the port and exits with npm",
    async () => {
      const dataDir = tempDir("raseed-npm-start-");
      const started = await startUntil(
        "npm",
        ["start", "--", "--port", "0", "--data-dir", dataDir],
        ROOT,
        /gateway listening/,
        DEMO_URL,
      );
      const url = DEMO_URL.exec(started.output())?.[1];
      const pid = Number(/"pid":(\d+)/.exec(started.output())?.[1]);
      expect(url).toBeDefined();
      expect(pid).not.toBe(started.child.pid); // the gateway is its own node process under npm
      started.child.kill("SIGTERM"); // to npm, as systemd or a terminal would
      await started.exit;
      expect(started.output()).toContain("shutting down: draining in-flight submissions");
      expect(processGone(pid)).toBe(true);
      expect(await portRefused(Number(new URL(url ?? "").port))).toBe(true);
    },
    LONG,
  );
});
