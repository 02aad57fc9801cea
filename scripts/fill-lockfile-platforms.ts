// Adds package-lock.json entries for other platforms' optional binaries (Biome's and Rollup's).
//
// Why: the npm registry these machines reach serves only the Linux x64/arm64 builds of those packages, so
// `npm install` writes a lock without the others, and `npm ci` then refuses the lock ("Missing:
// @biomejs/cli-darwin-arm64@ from lock file"). An entry with `os`/`cpu`/`libc` lets `npm ci` accept the lock
// and skip the package on every platform it does not fit, without fetching it. Run after `npm install`:
//   npx tsx scripts/fill-lockfile-platforms.ts && npm ci --dry-run
import { readFileSync, writeFileSync } from "node:fs";

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

const PLATFORM_PACKAGES = /^@(biomejs\/cli|rollup\/rollup)-/;

/** "cli-linux-x64-musl" → linux/x64/musl; "rollup-linux-arm-gnueabihf" → linux/arm/glibc. */
export function platformOf(name: string): { os: string; cpu: string; libc?: string } {
  const [os = "", cpu = "", variant] = name.replace(PLATFORM_PACKAGES, "").split("-");
  if (os !== "linux") return { os, cpu };
  const libc = variant === undefined || variant.startsWith("gnu") ? "glibc" : "musl";
  return { os, cpu, libc };
}

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8")) as { packages: Record<string, LockEntry> };
let added = 0;
for (const [parent, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (!PLATFORM_PACKAGES.test(name) || lock.packages[key] !== undefined) continue;
    const { os, cpu, libc } = platformOf(name);
    const isDev = lock.packages[parent]?.dev === true;
    lock.packages[key] = {
      version,
      cpu: [cpu],
      ...(isDev ? { dev: true } : {}),
      ...(libc === undefined ? {} : { libc: [libc] }),
      optional: true,
      os: [os],
    };
    added += 1;
  }
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform entr${added === 1 ? "y" : "ies"} added`);
