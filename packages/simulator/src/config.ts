// The simulator's config file: more sellers, tokens, scenarios, buyers and POS terminals on top of (or
// instead of) the demo world, and start-up faults. One schema, validated once; unknown keys are errors
// that name the key, so a typo never silently does nothing.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { faultConfigSchema, formatIssuePath, zodIssueText } from "./faults.ts";
import { scenarioIds } from "./scenarios.ts";
import type { SimWorld } from "./world.ts";
import { DEMO_WORLD, demoWorld } from "./world.ts";

const KNOWN_SCENARIO_IDS: readonly string[] = scenarioIds();

const scenarioIdSchema = z.string().refine((id) => KNOWN_SCENARIO_IDS.includes(id), {
  error: (issue) =>
    `unknown scenario ${JSON.stringify(issue.input)}: FBR's sandbox scenarios are ${KNOWN_SCENARIO_IDS[0]}-${KNOWN_SCENARIO_IDS.at(-1)}`,
});

const sellerSchema = z.strictObject({
  ntn: z.string().regex(/^(\d{7}|\d{13})$/, "a seller is a 7-digit NTN or a 13-digit CNIC"),
  businessName: z.string().min(1),
  province: z.string().min(1),
  sandboxToken: z.string().min(8).optional(),
  productionToken: z.string().min(8).optional(),
  scenarios: z.union([z.literal("all"), z.array(scenarioIdSchema)]).default("all"),
});

const posTerminalSchema = z.strictObject({
  posId: z.union([z.string().regex(/^\d+$/), z.number().int().positive()]).transform(String),
  token: z.string().min(8),
  environments: z
    .array(z.enum(["sandbox", "production"]))
    .min(1)
    .default(["sandbox", "production"]),
});

export const simulatorConfigSchema = z
  .strictObject({
    /** Keep the documented demo seller, buyer and POS terminal (default true). */
    includeDemoWorld: z.boolean().default(true),
    sellers: z.array(sellerSchema).default([]),
    registeredBuyers: z.array(z.string().regex(/^(\d{7}|\d{7}-\d|\d{13})$/)).default([]),
    posTerminals: z.array(posTerminalSchema).default([]),
    faults: faultConfigSchema.optional(),
    /**
     * HTTP status of the 0401 answer (sellerNTNCNIC is not the token owner's). 401 is the simulator's
     * choice; FBR's documents list 0401 among the validation codes, which come back with HTTP 200.
     */
    sellerMismatchHttpStatus: z.union([z.literal(401), z.literal(200)]).default(401),
    /**
     * Which day "today" is when judging a future invoiceDate (0043). "utc" (default): integrators report
     * FBR refuses an invoice dated today between 00:00 and 05:00 Pakistan time, so FBR judges the UTC
     * day. "pakistan": judge the Pakistan calendar day, as the IRIS template reads "today".
     */
    invoiceDateClock: z.enum(["utc", "pakistan"]).default("utc"),
  })
  .superRefine((config, context) => {
    // A bearer token names exactly one owner (one seller environment or one POS terminal): FBR's
    // tokens are issued per registration. The message names both key paths, never the token itself.
    const owners = new Map<string, string>();
    if (config.includeDemoWorld) {
      owners.set(DEMO_WORLD.seller.sandboxToken, "the demo seller's sandbox token");
      owners.set(DEMO_WORLD.seller.productionToken, "the demo seller's production token");
      owners.set(DEMO_WORLD.posTerminal.token, "the demo POS terminal's token");
    }
    const claim = (token: string | undefined, path: (string | number)[]) => {
      if (token === undefined) return;
      const earlier = owners.get(token);
      if (earlier !== undefined) {
        context.addIssue({
          code: "custom",
          path,
          message: `this token is already given to ${earlier}; each token belongs to one owner`,
        });
        return;
      }
      owners.set(token, formatIssuePath(path));
    };
    config.sellers.forEach((seller, index) => {
      claim(seller.sandboxToken, ["sellers", index, "sandboxToken"]);
      claim(seller.productionToken, ["sellers", index, "productionToken"]);
    });
    config.posTerminals.forEach((terminal, index) => {
      claim(terminal.token, ["posTerminals", index, "token"]);
    });
  });

export type SimulatorConfigInput = z.input<typeof simulatorConfigSchema>;
export type SimulatorConfig = z.output<typeof simulatorConfigSchema>;

export class SimulatorConfigError extends Error {
  override readonly name = "SimulatorConfigError";
}

/** Validates a config object; the error message names the first offending key or field. */
export function parseSimulatorConfig(input: unknown, source = "config"): SimulatorConfig {
  const result = simulatorConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new SimulatorConfigError(`${source}: invalid`);
  const where = formatIssuePath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((key) => `"${key}"`).join(", ");
    throw new SimulatorConfigError(`${source}: unknown key ${keys}${where ? ` in ${where}` : ""}`);
  }
  throw new SimulatorConfigError(`${source}: ${where || "(root)"}: ${zodIssueText(issue)}`);
}

export function loadSimulatorConfigFile(path: string): SimulatorConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
    throw new SimulatorConfigError(`config file ${path}: cannot read it (${reason})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SimulatorConfigError(`config file ${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseSimulatorConfig(json, `config file ${path}`);
}

/** The world a config describes: the demo world (unless excluded) plus everything the file adds. */
export function worldFromConfig(config: SimulatorConfig | undefined): SimWorld {
  const base: SimWorld =
    config?.includeDemoWorld === false
      ? { sellers: [], registeredBuyers: [], posTerminals: [] }
      : demoWorld();
  if (!config) return base;
  const allScenarios = scenarioIds();
  return {
    sellers: [
      ...base.sellers,
      ...config.sellers.map((seller) => ({
        ntn: seller.ntn,
        businessName: seller.businessName,
        province: seller.province,
        ...(seller.sandboxToken === undefined ? {} : { sandboxToken: seller.sandboxToken }),
        ...(seller.productionToken === undefined ? {} : { productionToken: seller.productionToken }),
        scenarios: seller.scenarios === "all" ? allScenarios : seller.scenarios,
      })),
    ],
    registeredBuyers: [...base.registeredBuyers, ...config.registeredBuyers],
    posTerminals: [...base.posTerminals, ...config.posTerminals],
  };
}
