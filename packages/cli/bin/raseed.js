#!/usr/bin/env node
// The `raseed` command. An installed package (or a production install, `npm ci --omit=dev`) runs the compiled
// build in dist/. A development checkout (TypeScript sources present and tsx installed) runs the sources, so an
// edit applies without rebuilding; RASEED_USE_BUILD=1 forces the build there too. Either way this process is the
// server: nothing is spawned, so SIGTERM reaches it directly.
import { existsSync } from "node:fs";
import { register } from "node:module";
import { applyServeHeapSettings } from "./heap-settings.js";

// The gateway is a long-running service: keep its heap small (heap-settings.js says what and why). Set before
// anything else is loaded, and only for `serve`; one-off commands keep V8's defaults.
if (process.argv[2] === "serve") applyServeHeapSettings();

const sources = new URL("../src/main.ts", import.meta.url);
const build = new URL("../dist/src/main.js", import.meta.url);

async function loadTsx() {
  if (process.env.RASEED_USE_BUILD === "1" || !existsSync(sources)) return undefined;
  try {
    return await import("tsx/esm/api");
  } catch {
    return undefined; // no dev dependencies: a production install
  }
}

const tsx = await loadTsx();
if (tsx) {
  // Workspace packages resolve to each other's sources through their "@raseed/source" export condition.
  register(new URL("./source-condition.js", import.meta.url));
  tsx.register();
  await import(sources.href);
} else if (existsSync(build)) {
  await import(build.href);
} else {
  process.stderr.write(
    "raseed: the build is missing (packages/*/dist); run `npm run build` in the repository.\n",
  );
  process.exit(1);
}
