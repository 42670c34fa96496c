/** When and how often a crashed service is started again. */
export interface RestartPolicy {
  /** Delay before the first restart. @default 500 */
  initialDelayMs: number;
  /** Longest delay between restarts. @default 30000 */
  maxDelayMs: number;
  /** Growth of the delay per consecutive crash. @default 2 */
  factor: number;
  /** Random spread of each delay, as a fraction (0.1 = ±10%). @default 0.1 */
  jitter: number;
  /** A run this long counts as stable: the next crash starts again from `initialDelayMs`. @default 30000 */
  stableAfterMs: number;
  /** This many crashes within `windowMs` stop the restarts (state `crash-loop`). @default { maxCrashes: 5, windowMs: 60000 } */
  crashLoop: { maxCrashes: number; windowMs: number };
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.1,
  stableAfterMs: 30_000,
  crashLoop: { maxCrashes: 5, windowMs: 60_000 },
};

/**
 * The delay before restart number `attempt` (1-based, counting consecutive crashes):
 * `min(maxDelayMs, initialDelayMs · factor^(attempt-1))`, spread by ±`jitter` (and never above `maxDelayMs`).
 *
 * @example
 * restartDelay(3, DEFAULT_RESTART_POLICY, () => 0.5); // 2000
 */
export function restartDelay(
  attempt: number,
  policy: RestartPolicy,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1));
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(policy.maxDelayMs, Math.round(base + spread)));
}

/** Crash times within the window, for crash-loop detection. */
export class CrashWindow {
  #times: number[] = [];

  /** Records a crash at `now`; returns how many fall within `windowMs`. */
  record(now: number, windowMs: number): number {
    this.#times = this.#times.filter((time) => now - time < windowMs);
    this.#times.push(now);
    return this.#times.length;
  }

  reset(): void {
    this.#times = [];
  }
}
