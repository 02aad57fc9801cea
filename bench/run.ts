// `npm run bench [-- --quick] [name...]`: runs every bench/*.bench.ts in turn (or only those whose names
// start with one given). Each measures its figures against a baseline measured in the same run, because
// the machines are shared and absolute timings mean little, prints them, and the run writes them all to
// bench/results.json (each line also shows the last run's figure). `--quick` shortens every measurement so
// CI can check the bench still runs; its figures are not worth comparing.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BenchContext, Results } from "./harness/results.ts";

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
if (argv.includes("--help")) {
  console.log(
    "usage: npm run bench [-- --quick] [name...]   names: ingest, drain, queries, pos-bridge, sdk, simulator",
  );
  process.exit(0);
}
const quick = argv.includes("--quick");
const wanted = argv.filter((arg) => !arg.startsWith("--"));
const files = readdirSync(here)
  .filter((name) => name.endsWith(".bench.ts"))
  .filter((name) => wanted.length === 0 || wanted.some((w) => name.startsWith(w)))
  .sort();

const results = new Results(quick);
const context: BenchContext = { quick, results };
for (const name of files) {
  console.log(`\n## ${name.replace(/\.bench\.ts$/, "")}${quick ? " (quick)" : ""}`);
  const mod = (await import(pathToFileURL(join(here, name)).href)) as {
    default: (context: BenchContext) => Promise<void>;
  };
  await mod.default(context);
}
results.write();
