import { Command } from "commander";

type Register = (program: Command) => void;

/**
 * Every top-level command: a one-line summary for `raseed --help`, and how to load it. Commands are loaded on
 * demand, so `raseed validate` or `raseed --help` does not load the gateway (Fastify, PostgreSQL, PDF and
 * spreadsheet libraries): a process spawned for one command starts in a fraction of the time.
 */
export const commandTable: readonly { name: string; summary: string; load: () => Promise<Register> }[] = [
  {
    name: "validate",
    summary: "Validate DI or IMS invoice JSON files against FBR's rules, with FBR's error codes",
    load: async () => (await import("./commands/validate.ts")).registerValidateCommand,
  },
  {
    name: "qr",
    summary: "Write the QR code FBR requires on an invoice, as SVG or PNG",
    load: async () => (await import("./commands/qr.ts")).registerQrCommand,
  },
  {
    name: "simulator",
    summary: "Run an offline FBR (DI, reference APIs, IMS) with fault injection",
    load: async () => (await import("./commands/simulator.ts")).registerSimulatorCommand,
  },
  {
    name: "serve",
    summary: "Run the Raseed gateway: REST API, durable outbox and FBR submission worker",
    load: async () => (await import("./commands/serve.ts")).registerServeCommand,
  },
  {
    name: "tenant",
    summary: "Manage gateway tenants (one per seller NTN) and their FBR tokens",
    load: async () => (await import("./commands/tenant.ts")).registerTenantCommand,
  },
  {
    name: "key",
    summary: "Manage gateway API keys (stored hashed)",
    load: async () => (await import("./commands/key.ts")).registerKeyCommand,
  },
  {
    name: "user",
    summary: "Manage people who sign in to the dashboard (not API keys)",
    load: async () => (await import("./commands/user.ts")).registerUserCommand,
  },
  {
    name: "invoices",
    summary: "List, show, retry and reconcile invoices (store or running gateway)",
    load: async () => (await import("./commands/invoices.ts")).registerInvoicesCommand,
  },
  {
    name: "audit",
    summary: "Show, verify and sign-check the gateway's audit log",
    load: async () => (await import("./commands/audit.ts")).registerAuditCommand,
  },
  {
    name: "archive",
    summary: "Export and verify the 6-year archive: one signed file per period",
    load: async () => (await import("./commands/archive.ts")).registerArchiveCommand,
  },
  {
    name: "pos-bridge",
    summary: "Run the POS bridge (FBR's IMS fiscal-component API) and inspect its journal",
    load: async () => (await import("./commands/pos-bridge.ts")).registerPosBridgeCommand,
  },
  {
    name: "import",
    summary: "Send sales from a CSV or XLSX file through a gateway, every row checked first",
    load: async () => (await import("./commands/import.ts")).registerImportCommand,
  },
  {
    name: "scenarios",
    summary: "FBR sandbox certification: the scenarios to pass, and running them",
    load: async () => (await import("./commands/scenarios.ts")).registerScenariosCommand,
  },
];

/** The command a `raseed ...` argv names (`raseed help <command>` names the one after help). */
function commandNamed(argv: readonly string[]): string | undefined {
  const words = argv.slice(2).filter((word) => !word.startsWith("-"));
  return words[0] === "help" ? words[1] : words[0];
}

/**
 * Builds the `raseed` command tree. Given the process's argv, only the command it names is loaded; the others
 * are listed by their summaries. Without argv every command is loaded (embedding, tests).
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command("raseed")
    .description("Raseed: FBR e-invoicing toolkit (Digital Invoicing and Tier-1 POS)")
    .version("0.1.0")
    .showHelpAfterError();
  const wanted = argv === undefined ? undefined : commandNamed(argv);
  for (const entry of commandTable) {
    if (argv === undefined || entry.name === wanted) (await entry.load())(program);
    else program.command(entry.name).description(entry.summary);
  }
  return program;
}
