import { ConfigError, loadConfig, MasterKeyError, startGateway } from "@raseed/gateway";
import type { Command } from "commander";
import { exitTwoOnUsageErrors } from "./tenant.ts";

interface ServeFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  db?: string;
  fbrUrl?: string;
  withSimulator?: boolean;
  config?: string;
  demo?: boolean;
}

export function registerServeCommand(program: Command): void {
  exitTwoOnUsageErrors(
    program
      .command("serve")
      .description("Run the Raseed gateway: REST API, durable outbox and FBR submission worker")
      .option("--port <port>", "HTTP port (default 8080)")
      .option("--host <host>", "interface to bind (default 127.0.0.1)")
      .option("--data-dir <dir>", "data folder: SQLite file, master key (default ./data)")
      .option("--db <target>", "SQLite file or postgres:// URL (default <data-dir>/raseed.db)")
      .option("--fbr-url <url>", "FBR base URL (default https://gw.fbr.gov.pk)")
      .option("--with-simulator", "start the offline FBR simulator in-process and post to it")
      .option("--config <file>", "config file (JSON); flags > RASEED_* env > file > defaults")
      .option("--demo", "demo: simulator built in, demo tenant 7000007, demo API key, loopback only"),
  ).action(async (flags: ServeFlags) => {
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig({
        flags: {
          port: flags.port,
          host: flags.host,
          dataDir: flags.dataDir,
          db: flags.db,
          fbrUrl: flags.fbrUrl,
          withSimulator: flags.withSimulator,
          demo: flags.demo,
          config: flags.config,
        },
        env: process.env,
      });
    } catch (error) {
      process.stderr.write(`raseed serve: ${(error as Error).message}\n`);
      process.exit(error instanceof ConfigError ? 2 : 1);
    }
    try {
      const gateway = await startGateway(config, { handleSignals: true });
      if (gateway.demo !== undefined) {
        process.stdout.write(
          [
            "",
            `Raseed demo gateway: ${gateway.url}  (FBR simulator: ${gateway.simulator?.url})`,
            `Dashboard: ${gateway.url}/login  (also in ${gateway.demo.login.file})`,
            `  email:    ${gateway.demo.login.email}`,
            `  password: ${gateway.demo.login.password}`,
            `Demo API key (also in ${gateway.demo.apiKeyFile}):`,
            `  ${gateway.demo.apiKey}`,
            "Try:",
            `  curl -s ${gateway.url}/v1/invoices -H "Authorization: Bearer $(cat ${gateway.demo.apiKeyFile})"`,
            "",
          ].join("\n"),
        );
      }
    } catch (error) {
      process.stderr.write(`raseed serve: ${(error as Error).message}\n`);
      process.exit(error instanceof MasterKeyError ? 2 : 1);
    }
  });
}
