import { Command } from "commander";
import { registerArchiveCommand } from "./commands/archive.ts";
import { registerAuditCommand } from "./commands/audit.ts";
import { registerImportCommand } from "./commands/import.ts";
import { registerKeyCommand } from "./commands/key.ts";
import { registerPosBridgeCommand } from "./commands/pos-bridge.ts";
import { registerQrCommand } from "./commands/qr.ts";
import { registerScenariosCommand } from "./commands/scenarios.ts";
import { registerServeCommand } from "./commands/serve.ts";
import { registerSimulatorCommand } from "./commands/simulator.ts";
import { registerTenantCommand } from "./commands/tenant.ts";
import { registerUserCommand } from "./commands/user.ts";
import { registerValidateCommand } from "./commands/validate.ts";

/** Builds the `raseed` command tree; each command lives in its own file under commands/. */
export function buildProgram(): Command {
  const program = new Command("raseed")
    .description("Raseed: FBR e-invoicing toolkit (Digital Invoicing and Tier-1 POS)")
    .version("0.1.0")
    .showHelpAfterError();
  registerValidateCommand(program);
  registerQrCommand(program);
  registerSimulatorCommand(program);
  registerServeCommand(program);
  registerTenantCommand(program);
  registerKeyCommand(program);
  registerUserCommand(program);
  registerAuditCommand(program);
  registerArchiveCommand(program);
  registerPosBridgeCommand(program);
  registerImportCommand(program);
  registerScenariosCommand(program);
  return program;
}
