// `npm run build` (also run by `npm ci`/`npm install` through "prepare", and before `npm start`): compiles every
// workspace package to ESM JavaScript + .d.ts in packages/*/dist (TypeScript project references, incremental, so
// an unchanged tree takes seconds), then copies the non-TypeScript files that sources load at run time
// (templates, styles, images next to the code) into dist/src. Plain JavaScript so that it runs without tsx.
//
// A production install (`npm ci --omit=dev`) has no TypeScript: it keeps the build it was copied with and says so,
// and fails only when there is no build at all.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const packages = ["sdk", "simulator", "gateway", "pos-bridge", "cli"].map((name) =>
  join(root, "packages", name),
);

let tsc;
try {
  tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
} catch {
  tsc = undefined;
}

if (tsc === undefined) {
  const missing = packages.filter((dir) => !existsSync(join(dir, "dist", "src", "index.js")));
  if (missing.length > 0) {
    console.error(
      `raseed build: TypeScript is not installed and there is no build in ${missing.map((dir) => relative(root, dir)).join(", ")}.\n` +
        "Build first (`npm ci && npm run build`), then install for production with `npm ci --omit=dev`.",
    );
    process.exit(1);
  }
  console.error("raseed build: TypeScript is not installed (production install); using the existing build.");
  process.exit(0);
}

const result = spawnSync(process.execPath, [tsc, "-b", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});
if (result.status !== 0) process.exit(result.status ?? 1);

// Assets: every file under src/ that is not TypeScript, test data or documentation.
const skipped = (name) =>
  name.endsWith(".ts") || name.endsWith(".md") || name.endsWith(".vectors.json") || name === "vectors";
function copyAssets(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (skipped(entry.name)) continue;
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) copyAssets(source, target);
    else if (entry.isFile()) {
      mkdirSync(to, { recursive: true });
      copyFileSync(source, target);
    }
  }
}
for (const dir of packages) copyAssets(join(dir, "src"), join(dir, "dist", "src"));
