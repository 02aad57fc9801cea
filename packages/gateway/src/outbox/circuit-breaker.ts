// Stops hammering FBR while it is down: after `threshold` consecutive unavailability signals the breaker
// opens, no claims are made for `cooldownMs`, then one probe is let through (half-open). A probe that
// gets a real answer closes it; a failed probe reopens it with a doubled cooldown (capped).

export type BreakerState = "closed" | "open" | "half_open";

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt = 0;
  private currentCooldownMs: number;
  private probeInFlight = false;
  state: BreakerState = "closed";

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly onChange: (state: BreakerState) => void = () => {},
    private readonly maxCooldownMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.currentCooldownMs = cooldownMs;
  }

  /** How many new attempts may start now (Infinity when closed). */
  permits(): number {
    if (this.state === "closed") return Number.POSITIVE_INFINITY;
    if (this.state === "open" && this.now() - this.openedAt >= this.currentCooldownMs)
      this.transition("half_open");
    if (this.state === "half_open" && !this.probeInFlight) return 1;
    return 0;
  }

  /** Called when an attempt starts while half-open: it is the probe. */
  startProbe(): void {
    if (this.state === "half_open") this.probeInFlight = true;
  }

  /** FBR gave an answer (accepted, rejected, unauthorised): it is up. */
  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
    this.currentCooldownMs = this.cooldownMs;
    if (this.state !== "closed") this.transition("closed");
  }

  /** FBR could not be reached, throttled us, or failed mid-answer. */
  recordFailure(): void {
    this.consecutiveFailures += 1;
    if (this.state === "half_open") {
      this.probeInFlight = false;
      this.currentCooldownMs = Math.min(this.currentCooldownMs * 2, this.maxCooldownMs);
      this.open();
    } else if (this.state === "closed" && this.consecutiveFailures >= this.threshold) {
      this.open();
    }
  }

  private open(): void {
    this.openedAt = this.now();
    this.transition("open");
  }

  private transition(next: BreakerState): void {
    if (this.state === next) return;
    this.state = next;
    this.onChange(next);
  }
}
