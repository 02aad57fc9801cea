import { describe, expect, it } from "vitest";
import { BridgeMetrics, createJsonLogger } from "./telemetry.ts";

describe("createJsonLogger", () => {
  it("writes JSON lines at or above its level, with secrets redacted", () => {
    const lines: string[] = [];
    const logger = createJsonLogger("info", (line) => lines.push(line));
    logger.info({ posId: 110014, token: "1298b5eb-b252-3d97-8622-a4a69d5bf818" }, "started");
    logger.error({ headers: { authorization: "Bearer 1298b5eb-b252-3d97-8622-a4a69d5bf818" } }, "failed");
    expect(lines).toHaveLength(2);
    expect(lines.join("")).not.toContain("1298b5eb-b252-3d97-8622-a4a69d5bf818");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: "info", msg: "started", posId: 110014 });
    const quiet = createJsonLogger("warn", (line) => lines.push(line));
    quiet.info({}, "not written");
    expect(lines).toHaveLength(2);
  });
});

describe("BridgeMetrics", () => {
  it("renders reply counts, backlog age and the till latency histogram", async () => {
    const metrics = new BridgeMetrics();
    metrics.recordReply("100", 0.004);
    metrics.recordReply("150", 4.01);
    metrics.recordAttempt("accepted");
    const text = await metrics.render(
      {
        byState: { pending: 2, uploading: 0, accepted: 1, rejected: 0, in_doubt: 1, held: 0 },
        oldestUnsettledAt: 1_000,
        oldestInDoubtAt: 1_000 + 3_600_000,
        provisionalTotal: 3,
      },
      1_000 + 25 * 3_600_000,
      20 * 3_600_000,
    );
    expect(text).toContain('raseed_pos_bridge_replies_total{code="150"} 1');
    // In doubt has its own gauges: the backlog is what is still on its way to FBR.
    expect(text).toContain("raseed_pos_bridge_backlog_sales 2\n");
    expect(text).toContain("raseed_pos_bridge_in_doubt_sales 1\n");
    expect(text).toContain("raseed_pos_bridge_in_doubt_oldest_age_seconds 86400\n");
    expect(text).toContain("raseed_pos_bridge_backlog_oldest_age_seconds 90000\n");
    expect(text).toContain("raseed_pos_bridge_backlog_over_threshold 1");
    expect(text).toContain('raseed_pos_bridge_till_reply_seconds_bucket{le="0.005"} 1');
    expect(text).toContain('raseed_pos_bridge_till_reply_seconds_bucket{le="4"} 1');
    expect(text).toContain('raseed_pos_bridge_till_reply_seconds_bucket{le="+Inf"} 2');
    expect(text).toContain("# TYPE raseed_pos_bridge_provisional_sales_total counter");
    expect(text).toContain("raseed_pos_bridge_provisional_sales_total 3\n");
    expect(text).toContain('raseed_pos_bridge_sales{state="in_doubt"} 1');
  });

  it("brings the backlog back to zero when only in-doubt sales are left (after a crash)", async () => {
    const text = await new BridgeMetrics().render(
      {
        byState: { pending: 0, uploading: 0, accepted: 5, rejected: 0, in_doubt: 2, held: 0 },
        oldestUnsettledAt: null,
        oldestInDoubtAt: 0,
        provisionalTotal: 0,
      },
      30 * 3_600_000,
      20 * 3_600_000,
    );
    expect(text).toContain("raseed_pos_bridge_backlog_sales 0\n");
    expect(text).toContain("raseed_pos_bridge_backlog_oldest_age_seconds 0\n");
    expect(text).toContain("raseed_pos_bridge_backlog_over_threshold 0\n");
    expect(text).toContain("raseed_pos_bridge_in_doubt_sales 2\n");
  });
});
