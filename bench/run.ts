// `npm run bench`: runs every bench/*.bench.ts in turn (or only those named on the command line).
// Each file's default export runs its own measurements and prints ratios against a baseline measured
// in the same run, because the machines are shared and absolute timings mean little.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith(".bench.ts"))
  .filter((name) => wanted.length === 0 || wanted.some((w) => name.startsWith(w)))
  .sort();

for (const name of files) {
  console.log(`\n## ${name.replace(/\.bench\.ts$/, "")}`);
  const mod = (await import(pathToFileURL(join(here, name)).href)) as { default: () => Promise<void> };
  await mod.default();
}
