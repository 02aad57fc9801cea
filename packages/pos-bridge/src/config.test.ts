import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../test/helpers.ts";
import { BridgeConfigError, loadBridgeConfig, resolveBridgeDataDir } from "./config.ts";

const dir = tempDir("raseed-config-");
afterAll(() => dir.remove());

function configFile(content: unknown): string {
  const path = join(dir.path, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe("loadBridgeConfig", () => {
  it("uses FBR's component defaults: 127.0.0.1:8524, sandbox, a 4 s till bound, FBR upstream", () => {
    const config = loadBridgeConfig({ posId: "110014", token: "t" }, {});
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8524,
      environment: "sandbox",
      upstream: "fbr",
      tillTimeoutMs: 4000,
      journalSync: "full",
      tills: [{ posId: 110014, token: "t" }],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("takes flag over environment over file", () => {
    const file = configFile({ port: 9001, environment: "production", tills: [{ posId: 1, token: "file" }] });
    const fromFile = loadBridgeConfig({ config: file }, {});
    expect(fromFile).toMatchObject({
      port: 9001,
      environment: "production",
      tills: [{ posId: 1, token: "file" }],
    });
    const fromEnv = loadBridgeConfig(
      { config: file },
      { RASEED_POS_BRIDGE_PORT: "9002", RASEED_POS_BRIDGE_POS_ID: "2", RASEED_POS_BRIDGE_TOKEN: "env" },
    );
    expect(fromEnv).toMatchObject({ port: 9002, tills: [{ posId: 2, token: "env" }] });
    const fromFlag = loadBridgeConfig(
      { config: file, port: "9003", env: "sandbox" },
      { RASEED_POS_BRIDGE_PORT: "9002" },
    );
    expect(fromFlag).toMatchObject({ port: 9003, environment: "sandbox" });
  });

  it("reads several tills, each with an optional own port", () => {
    const file = configFile({
      tills: [
        { posId: 1, token: "a" },
        { posId: 2, token: "b", port: 8525 },
      ],
    });
    expect(loadBridgeConfig({ config: file }, {}).tills).toEqual([
      { posId: 1, token: "a" },
      { posId: 2, token: "b", port: 8525 },
    ]);
  });

  it("takes the documented receipt block, qrSizeMm included (the old loader refused it)", () => {
    const receipt = { businessName: "Demo Traders", ntn: "7000007-1", serviceFee: 1, qrSizeMm: 25 };
    const file = configFile({ tills: [{ posId: 1, token: "a" }], receipt });
    expect(loadBridgeConfig({ config: file }, {}).receipt).toEqual(receipt);
    expect(Object.isFrozen(loadBridgeConfig({ config: file }, {}).receipt)).toBe(true);
  });

  it("reports to FBR by default, or to PRA (Punjab) by file, environment or flag", () => {
    const file = configFile({ tills: [{ posId: 1, token: "a" }], imsAuthority: "pra" });
    expect(loadBridgeConfig({ posId: "1", token: "t" }, {}).imsAuthority).toBe("fbr");
    expect(loadBridgeConfig({ config: file }, {}).imsAuthority).toBe("pra");
    expect(
      loadBridgeConfig({ posId: "1", token: "t" }, { RASEED_POS_BRIDGE_IMS_AUTHORITY: "pra" }).imsAuthority,
    ).toBe("pra");
    expect(loadBridgeConfig({ config: file, imsAuthority: "fbr" }, {}).imsAuthority).toBe("fbr");
    expect(() => loadBridgeConfig({ posId: "1", token: "t", imsAuthority: "sra" }, {})).toThrow(
      /--ims-authority must be fbr or pra/,
    );
  });

  it.each([
    [{ tills: [{ posId: 1, token: "a" }], colour: "red" }, /unknown setting "colour"/],
    [{ tills: [{ posId: 1, token: "a", secret: "x" }] }, /unknown setting "secret"/],
    [
      {
        tills: [
          { posId: 1, token: "a" },
          { posId: 1, token: "b" },
        ],
      },
      /POSID 1 is listed twice/,
    ],
    [
      { tills: [{ posId: 1, token: "a" }], receipt: { qrSizeMm: 2 } },
      /receipt\.qrSizeMm: must be a number of millimetres/,
    ],
    [{ tills: [{ posId: 1, token: "a" }], receipt: { logo: "x.png" } }, /receipt: unknown setting "logo"/],
    [{ tills: "110014" }, /tills must be a list/],
    [{ tills: [] }, /no till configured/],
  ])("refuses a bad file %#", (content, reason) => {
    expect(() => loadBridgeConfig({ config: configFile(content) }, {})).toThrow(reason);
  });

  it.each([
    [{ posId: "1" }, /go together/],
    [{ posId: "1", token: "t", env: "staging" }, /sandbox or production/],
    [{ posId: "1", token: "t", port: "70000" }, /port must be a whole number/],
    [{ posId: "1", token: "t", upstream: "ftp://x" }, /"fbr" or a gateway URL/],
    [{ posId: "1", token: "t", fbrUrl: "localhost" }, /--fbr-url must be a base URL/],
    [{ config: "/no/such/file.json" }, /cannot read config file/],
  ])("refuses bad flags %#", (flags, reason) => {
    expect(() => loadBridgeConfig(flags, {})).toThrow(BridgeConfigError);
    expect(() => loadBridgeConfig(flags, {})).toThrow(reason);
  });

  it("names the flag, variable or file key that holds a bad value, and never repeats a secret", () => {
    expect(() => loadBridgeConfig({ posId: "1", token: "t" }, { RASEED_POS_BRIDGE_PORT: "eighty" })).toThrow(
      'RASEED_POS_BRIDGE_PORT must be a whole number from 0 to 65535; got "eighty"',
    );
    const file = configFile({ tills: [{ posId: 1, token: "a" }], uploadConcurrency: 0 });
    expect(() => loadBridgeConfig({ config: file }, {})).toThrow(
      `uploadConcurrency in ${file} must be a whole number from 1 to 64; got 0`,
    );
    expect(() => loadBridgeConfig({ posId: "1", token: "t", tillTimeout: "4s" }, {})).toThrow(
      '--till-timeout must be a whole number from 50 to 60000; got "4s"',
    );
    expect(() =>
      loadBridgeConfig({ config: configFile({ tills: [{ posId: "x", token: "a" }] }) }, {}),
    ).toThrow('tills[0].posId must be a whole number from 1 to 9007199254740991; got "x"');
    const secret = "secret-gateway-key-value";
    let message = "";
    try {
      loadBridgeConfig(
        { posId: "1", upstream: "http://127.0.0.1:1", apiKey: " " },
        { RASEED_POS_BRIDGE_TOKEN: secret },
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe("--api-key must be non-empty text");
    expect(message).not.toContain(secret);
  });

  it("refuses a RASEED_POS_BRIDGE_ variable it does not read, by name (a typo is not ignored)", () => {
    expect(() =>
      loadBridgeConfig({ posId: "1", token: "t" }, { RASEED_POS_BRIDGE_TILL_TIMEOUT: "2000", PATH: "/bin" }),
    ).toThrow(
      /^unknown environment variable RASEED_POS_BRIDGE_TILL_TIMEOUT; the bridge reads .*RASEED_POS_BRIDGE_TILL_TIMEOUT_MS/,
    );
    // Every documented variable is one it reads.
    const all = Object.fromEntries(
      ["HOST", "PORT", "DATA_DIR", "ENV", "IMS_AUTHORITY", "UPSTREAM", "TILL_TIMEOUT_MS", "UPLOAD_TIMEOUT_MS"]
        .concat(["MAX_BACKOFF_MS", "POLL_INTERVAL_MS", "UPLOAD_CONCURRENCY", "BACKLOG_WARNING_MS"])
        .concat(["BACKLOG_CHECK_INTERVAL_MS", "BODY_LIMIT_BYTES", "JOURNAL_SYNC", "LOG_LEVEL"])
        .map((name) => [`RASEED_POS_BRIDGE_${name}`, undefined]),
    );
    expect(loadBridgeConfig({ posId: "1", token: "t" }, all).port).toBe(8524);
  });

  it("refuses a flag it does not know (a wiring mistake) instead of ignoring it", () => {
    const flags = { posId: "1", token: "t", colour: "red" } as unknown as Parameters<
      typeof loadBridgeConfig
    >[0];
    expect(() => loadBridgeConfig(flags, {})).toThrow(/unknown or malformed flags: unknown setting "colour"/);
  });

  it("finds the data folder for status and reconcile without needing credentials", () => {
    const file = configFile({ dataDir: join(dir.path, "from-file") });
    expect(resolveBridgeDataDir({ config: file }, {})).toBe(join(dir.path, "from-file"));
    expect(resolveBridgeDataDir({ config: file }, { RASEED_POS_BRIDGE_DATA_DIR: "/srv/bridge" })).toBe(
      "/srv/bridge",
    );
  });
});
