// Baseline 1: a bare Fastify POST route that parses the JSON body and answers 202: what the HTTP framework
// alone does on this machine.
import Fastify from "fastify";
import { ready } from "../harness/proc.ts";

const app = Fastify({ bodyLimit: 1_048_576 });
app.post("/ingest", async (request, reply) => {
  const body = request.body as { invoiceType?: unknown };
  return reply.status(202).send({ ok: true, type: body.invoiceType });
});
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
const port = typeof address === "object" && address !== null ? address.port : 0;
ready({ url: `http://127.0.0.1:${port}/ingest` }, () => app.close());
