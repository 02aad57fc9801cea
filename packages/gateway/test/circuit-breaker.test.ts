import { describe, expect, it } from "vitest";
import { type BreakerState, CircuitBreaker } from "../src/outbox/circuit-breaker.ts";

describe("circuit breaker", () => {
  it("opens after consecutive failures, lets one probe through after the cooldown, and backs off", () => {
    let now = 0;
    const changes: BreakerState[] = [];
    const breaker = new CircuitBreaker(
      3,
      1_000,
      (s) => changes.push(s),
      4_000,
      () => now,
    );
    expect(breaker.permits()).toBe(Number.POSITIVE_INFINITY);
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe("closed");
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
    expect(breaker.permits()).toBe(0);

    now = 1_000;
    expect(breaker.permits()).toBe(1);
    expect(breaker.state).toBe("half_open");
    breaker.startProbe();
    expect(breaker.permits()).toBe(0);
    breaker.recordFailure(); // the probe failed: open again, cooldown doubled
    expect(breaker.state).toBe("open");
    now = 2_999;
    expect(breaker.permits()).toBe(0);
    now = 3_000;
    expect(breaker.permits()).toBe(1);
    breaker.startProbe();
    breaker.recordSuccess();
    expect(breaker.state).toBe("closed");
    expect(breaker.permits()).toBe(Number.POSITIVE_INFINITY);
    expect(changes).toEqual(["open", "half_open", "open", "half_open", "closed"]);
  });

  it("a success resets the failure count and the cooldown is capped", () => {
    let now = 0;
    const breaker = new CircuitBreaker(
      2,
      1_000,
      () => {},
      2_500,
      () => now,
    );
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.state).toBe("closed");
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
    for (const wait of [1_000, 2_000, 2_500, 2_500]) {
      now += wait - 1;
      expect(breaker.permits()).toBe(0);
      now += 1;
      expect(breaker.permits()).toBe(1);
      breaker.startProbe();
      breaker.recordFailure();
    }
  });
});
