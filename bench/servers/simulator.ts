// The FBR simulator as its own process, with a fixed answer latency (--latency-ms).
import { startSimulator } from "@raseed/simulator";
import { ready, serverArgs } from "../harness/proc.ts";

const args = serverArgs();
const simulator = await startSimulator({ port: 0 });
simulator.setFaults({ latencyMs: Number(args["latency-ms"] ?? 0) });
ready({ url: simulator.url }, () => simulator.close());
