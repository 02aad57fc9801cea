// V8 heap settings for a long-running gateway (`raseed serve`), applied by the bin before the gateway's code is
// loaded (and by the bench's gateway process, so the throughput figures are measured with them). Measured with
// 100,000 invoices queued and draining while the queue is listed (docs/performance.md, "What holds the gateway's
// memory"); V8's defaults suit a short-lived or a throughput-first process, not a service that should stay small:
//
// - The young generation stays at its starting size (1 MB per semi-space) instead of growing to 2 x 16 MB within a
//   second of load: those 32 MB were resident for good, and each scavenge of a full 16 MB semi-space briefly
//   touched ~30 MB more. `--max-semi-space-size` would say it directly, but V8 reads that only when the process
//   starts (node's command line); the growth factor is read at every scavenge, so the bin can set it.
// - The old generation is collected when it has grown 30% past what the last full collection kept, not V8's up
//   to 4x on a machine with a large heap limit: list traffic promotes short-lived rows and strings, and with 4x
//   the old generation grew from ~35 to ~100 MB of garbage before its first full collection.
import v8 from "node:v8";

export const SERVE_V8_FLAGS = ["--semi-space-growth-factor=1", "--heap-growing-percent=30"];

export function applyServeHeapSettings() {
  for (const flag of SERVE_V8_FLAGS) v8.setFlagsFromString(flag);
}
