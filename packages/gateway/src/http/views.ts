// What the API answers, as zod schemas: the OpenAPI document's response bodies are generated from these, and
// the test harness checks every JSON body a test receives against the document (test/harness.ts), so a view
// that changes without its schema fails the suite. Each schema is also checked against the TypeScript view it
// describes (test/openapi.test.ts), so the sdk's typed client, the views and the document agree.
import { z } from "zod";
import { invoiceStates } from "../store/schema.ts";

const isoInstant = z.string().describe("ISO 8601 instant (UTC)");
const state = z.enum(invoiceStates as [string, ...string[]]);

export const validationIssueSchema = z
  .object({
    code: z.string().describe("FBR's code (\"0046\") or Raseed's where FBR has none; see docs/errors.md"),
    level: z.enum(["header", "item"]),
    field: z.string(),
    path: z.string(),
    item: z.number().int().optional(),
    message: z.string(),
    fix: z.string(),
  })
  .loose();

export const invoiceViewSchema = z.object({
  id: z.string(),
  externalRef: z.string().nullable(),
  state,
  fbrInvoiceNumber: z.string().nullable(),
  fbrNumberSource: z.enum(["fbr", "person"]).nullable(),
  dated: z.string().nullable().describe("FBR's date for the acceptance, Pakistan time as FBR writes it"),
  itemNumbers: z.array(z.string()).nullable(),
  errors: z.array(z.unknown()).nullable().describe("FBR's header and item errors, verbatim"),
  reason: z.string().nullable(),
  attempts: z.number().int(),
  createdAt: isoInstant,
  updatedAt: isoInstant,
  invoice: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("The FBR DI payload (GET /v1/invoices/:id only)"),
});

export const invoicePageSchema = z.object({
  items: z.array(invoiceViewSchema),
  nextCursor: z.string().nullable().describe("Pass as ?cursor= for the next page; null on the last page"),
});

export const imsInvoiceViewSchema = z.object({
  id: z.string(),
  channel: z.literal("ims"),
  posId: z.number().int(),
  usin: z.string(),
  state,
  fbrInvoiceNumber: z.string().nullable(),
  errors: z.array(z.unknown()).nullable(),
  reason: z.string().nullable(),
  attempts: z.number().int(),
  fbrResponse: z.unknown().describe("FBR's answer to the last attempt when it was a refusal, verbatim"),
  createdAt: isoInstant,
  updatedAt: isoInstant,
  invoice: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("The FBR IMS payload (single-sale reads only)"),
});

export const imsInvoicePageSchema = z.object({
  items: z.array(imsInvoiceViewSchema),
  nextCursor: z.string().nullable(),
});

export const attemptsSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      attemptNo: z.number().int(),
      startedAt: isoInstant,
      finishedAt: isoInstant.nullable(),
      outcome: z.string().nullable(),
      url: z.string().nullable(),
      httpStatus: z.number().int().nullable(),
      durationMs: z.number().nullable(),
      reason: z.string().nullable(),
      requestBody: z.string().nullable().describe("Secrets redacted"),
      responseBody: z.string().nullable(),
    }),
  ),
});

export const cancelledInvoiceSchema = invoiceViewSchema.extend({
  cancellation: z.record(z.string(), z.unknown()).optional().describe("The recorded IRIS cancellation"),
});

const verdictSchema = z.object({
  valid: z.boolean(),
  verdict: z.enum(["valid", "invalid", "valid-fbr-will-check"]),
  issues: z.array(validationIssueSchema),
  fbrWillCheck: z.array(z.record(z.string(), z.unknown())),
});

export const validateAnswerSchema = z.object({
  local: verdictSchema,
  invoice: z.record(z.string(), z.unknown()).describe("The DI payload as it would be posted"),
  remote: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("FBR's validate answer (?remote=true only), with httpStatus and durationMs"),
});

export const tenantViewSchema = z.object({
  id: z.string(),
  ntn: z.string(),
  name: z.string(),
  province: z.string(),
  address: z.string(),
  environment: z.enum(["sandbox", "production"]),
  paused: z.boolean(),
});

export const webhookCreatedSchema = z.object({
  id: z.string(),
  url: z.string(),
  secret: z.string().describe("The signing secret, shown once"),
});

export const webhookListSchema = z.object({
  items: z.array(
    z.object({ id: z.string(), url: z.string(), createdAt: isoInstant, disabledAt: isoInstant.nullable() }),
  ),
});

export const deliveryListSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      event: z.string(),
      state: z.string(),
      attempts: z.number().int(),
      lastStatus: z.number().int().nullable(),
      lastError: z.string().nullable(),
      body: z.unknown(),
      createdAt: isoInstant,
      updatedAt: isoInstant,
    }),
  ),
});

const scenarioResultSchema = z.object({
  scenarioId: z.string(),
  status: z.enum(["passed", "failed", "pending"]),
  invoiceId: z.string().nullable(),
  fbrInvoiceNumber: z.string().nullable(),
  codes: z.array(z.object({ code: z.string(), message: z.string(), fix: z.string() })),
  state: z.string().nullable(),
});

export const certificationRunSchema = z.object({
  id: z.string(),
  activity: z.string(),
  sector: z.string(),
  passed: z.boolean(),
  startedAt: isoInstant,
  finishedAt: isoInstant,
  results: z.array(scenarioResultSchema),
});

export const certificationRunsSchema = z.object({ items: z.array(certificationRunSchema) });

export const certificationStatusSchema = z.object({
  certified: z.boolean(),
  activity: z.string().nullable(),
  sector: z.string().nullable(),
  passedScenarios: z.array(z.string()),
  missingScenarios: z.array(z.string()),
});

export const buyerAnswerSchema = z
  .object({
    ntnOrCnic: z.string(),
    day: z.string().describe("The Pakistan calendar day STATL was asked about"),
    registrationType: z.string().nullable(),
    active: z.boolean().nullable(),
    answers: z.object({
      statl: z.object({ statusCode: z.string(), status: z.string() }).nullable(),
      regType: z.object({ statusCode: z.string(), registrationType: z.string() }).nullable(),
    }),
    checkedAt: isoInstant,
    cached: z.boolean(),
  })
  .loose();

export const referenceTableSchema = z.object({
  name: z.string(),
  live: z.literal(true).optional(),
  rows: z.unknown().describe("The table's rows as FBR's reference API spells them"),
});

export const incidentListSchema = z.object({
  incidents: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      title: z.string(),
      state: z.enum(["open", "closed"]),
      cause: z.string(),
      openedAt: isoInstant,
      closedAt: isoInstant.nullable(),
      reportBy: isoInstant.describe("openedAt + 24 hours: when the report to the Commissioner is due"),
      invoicesAffected: z.number().int(),
      invoiceIds: z.array(z.string()),
    }),
  ),
});

export const healthSchema = z.object({ status: z.literal("ok") });
export const readySchema = z.object({ status: z.literal("ready"), engine: z.enum(["sqlite", "postgres"]) });
