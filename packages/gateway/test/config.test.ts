import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, envNameFor, loadConfig } from "../src/config.ts";
import { tempDir } from "./helpers.ts";

describe("gateway config", () => {
  it("has safe defaults: loopback, port 8080, SQLite in ./data", () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      dataDir: "./data",
      fbrUrl: "https://gw.fbr.gov.pk",
    });
    expect(config.db).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("applies flag > env > file > default", () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, "raseed.json");
      writeFileSync(
        file,
        JSON.stringify({ port: 9001, host: "0.0.0.0", workerConcurrency: 3, logLevel: "warn" }),
      );
      const config = loadConfig({
        configFile: file,
        env: { RASEED_PORT: "9002", RASEED_WORKER_CONCURRENCY: "5" },
        flags: { port: "9003", dataDir: undefined },
      });
      expect(config.port).toBe(9003); // flag
      expect(config.workerConcurrency).toBe(5); // env over file
      expect(config.host).toBe("0.0.0.0"); // file over default
      expect(config.logLevel).toBe("warn");
      expect(config.dataDir).toBe("./data"); // default (an undefined flag does not count)
    } finally {
      dir.remove();
    }
  });

  it("refuses unknown keys by name, in the file and in flags", () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, "raseed.json");
      writeFileSync(file, JSON.stringify({ port: 1, prot: 2 }));
      expect(() => loadConfig({ configFile: file, env: {} })).toThrow(/unknown config key "prot"/);
      expect(() => loadConfig({ flags: { colour: "blue" }, env: {} })).toThrow(/unknown config key "colour"/);
    } finally {
      dir.remove();
    }
  });

  it("explains invalid values and unreadable files", () => {
    expect(() => loadConfig({ env: { RASEED_PORT: "eighty" } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { RASEED_PORT: "70000" } })).toThrow(/port/);
    expect(() => loadConfig({ env: { RASEED_FBR_URL: "not a url" } })).toThrow(/fbrUrl/);
    expect(() => loadConfig({ configFile: "/nonexistent/raseed.json", env: {} })).toThrow(
      /cannot read config file/,
    );
    const dir = tempDir();
    try {
      const file = join(dir.path, "bad.json");
      writeFileSync(file, "{ port: 1");
      expect(() => loadConfig({ configFile: file, env: {} })).toThrow(/not valid JSON/);
    } finally {
      dir.remove();
    }
  });

  it("maps keys to RASEED_* names and reads booleans from env", () => {
    expect(envNameFor("workerConcurrency")).toBe("RASEED_WORKER_CONCURRENCY");
    expect(envNameFor("masterKey")).toBe("RASEED_MASTER_KEY");
    expect(loadConfig({ env: { RASEED_WITH_SIMULATOR: "true" } }).withSimulator).toBe(true);
    expect(loadConfig({ env: { RASEED_DEMO: "0" } }).demo).toBe(false);
  });
});
