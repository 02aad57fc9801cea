// Simulator throughput for valid DI posts on loopback, against a bare node:http server answering the
// same bytes in the same run (the machines are shared, so only the ratio means much).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { DEMO_WORLD, scenarioPayloadForSeller, startSimulator } from "@raseed/simulator";
import { Pool } from "undici";

const REQUESTS = 2000;
const WARM_UP = 200;
const CONCURRENCY = 8;
const PATH = "/di_data/v1/di/postinvoicedata_sb";

async function measure(origin: string, body: string, headers: Record<string, string>): Promise<number> {
  const pool = new Pool(origin, { connections: CONCURRENCY, pipelining: 1 });
  const fire = async (count: number) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next += 1;
        const response = await pool.request({ path: PATH, method: "POST", headers, body });
        await response.body.text();
        if (response.statusCode !== 200) throw new Error(`bench: HTTP ${response.statusCode} from ${origin}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  try {
    await fire(WARM_UP);
    const started = performance.now();
    await fire(REQUESTS);
    return REQUESTS / ((performance.now() - started) / 1000);
  } finally {
    await pool.close();
  }
}

export default async function simulatorBench(): Promise<void> {
  const seller = DEMO_WORLD.seller;
  const body = JSON.stringify(
    scenarioPayloadForSeller("SN001", {
      ntn: seller.ntn,
      businessName: seller.businessName,
      province: seller.province,
      address: seller.address,
    }),
  );
  const headers = { authorization: `Bearer ${seller.sandboxToken}`, "content-type": "application/json" };

  const sim = await startSimulator({ port: 0 });
  // The baseline answers with a real simulator answer, byte for byte, after reading the whole body.
  const sample = await fetch(`${sim.url}${PATH}`, { method: "POST", headers, body });
  const answer = Buffer.from(await sample.text());
  const bare = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": answer.length,
      });
      response.end(answer);
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const bareOrigin = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

  try {
    const baseline = await measure(bareOrigin, body, headers);
    const simulator = await measure(sim.url, body, headers);
    console.log(`valid DI posts, ${REQUESTS} requests, concurrency ${CONCURRENCY}, loopback:`);
    console.log(`  bare node:http (same bytes): ${baseline.toFixed(0)} req/s`);
    console.log(
      `  simulator (auth + sandbox gate + sdk validation + numbering + store): ${simulator.toFixed(0)} req/s`,
    );
    console.log(`  ratio simulator / bare: ${(simulator / baseline).toFixed(2)}`);
  } finally {
    await sim.close();
    await new Promise<void>((resolve) => bare.close(() => resolve()));
  }
}
