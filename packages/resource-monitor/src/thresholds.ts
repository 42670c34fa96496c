import { ResourceMonitorError } from './errors.js';

/** A threshold on one sampled value, with hysteresis and an optional sustain period. */
export interface ThresholdRule {
  /** Alert name, e.g. `MemoryHigh`. Unique per monitor. */
  name: string;
  /** The snapshot field (`rssBytes`, `eventLoopDelayP99Ms`, …) or a registered gauge's name. */
  metric: string;
  /** @default 'warning' */
  level?: 'warning' | 'critical';
  /** Raised when the value reaches this. */
  above: number;
  /** Resolved when the value falls below this (hysteresis). @default 90% of `above` */
  resolveBelow?: number;
  /** The value must stay at or above `above` this long before the alert is raised. @default 0 */
  forMs?: number;
}

export interface Alert {
  name: string;
  metric: string;
  level: 'warning' | 'critical';
  value: number;
  limit: number;
  /** When it was raised (ms since the epoch). */
  since: number;
}

export interface ThresholdTransition {
  kind: 'raised' | 'resolved';
  alert: Alert;
}

interface RuleState {
  rule: Required<Omit<ThresholdRule, 'forMs'>> & { forMs: number };
  pendingSince: number | undefined;
  active: Alert | undefined;
}

/**
 * Evaluates threshold rules against successive values: an alert is raised once the value has stayed at or
 * above `above` for `forMs`, and resolved only when it falls below `resolveBelow`, so a value hovering
 * around the limit does not flap.
 */
export class ThresholdEvaluator {
  readonly #states: RuleState[];

  constructor(rules: readonly ThresholdRule[]) {
    const names = new Set<string>();
    this.#states = rules.map((rule) => {
      if (names.has(rule.name))
        throw new ResourceMonitorError(
          'DUPLICATE_NAME',
          `Threshold name ${JSON.stringify(rule.name)} is used twice; every rule needs its own name`,
        );
      names.add(rule.name);
      const resolveBelow = rule.resolveBelow ?? rule.above * 0.9;
      if (!(resolveBelow <= rule.above)) {
        throw new ResourceMonitorError(
          'INVALID_ARGUMENT',
          `Threshold ${rule.name}: resolveBelow (${resolveBelow}) must not exceed above (${rule.above})`,
        );
      }
      return {
        rule: {
          name: rule.name,
          metric: rule.metric,
          level: rule.level ?? 'warning',
          above: rule.above,
          resolveBelow,
          forMs: rule.forMs ?? 0,
        },
        pendingSince: undefined,
        active: undefined,
      };
    });
  }

  /** Feeds one set of values (missing metrics leave their rules unchanged); returns what changed. */
  evaluate(values: (metric: string) => number | undefined, now: number): ThresholdTransition[] {
    const transitions: ThresholdTransition[] = [];
    for (const state of this.#states) {
      const value = values(state.rule.metric);
      if (value === undefined || Number.isNaN(value)) continue;
      const { rule } = state;
      if (state.active) {
        state.active.value = value;
        if (value < rule.resolveBelow) {
          transitions.push({ kind: 'resolved', alert: { ...state.active } });
          state.active = undefined;
          state.pendingSince = undefined;
        }
        continue;
      }
      if (value < rule.above) {
        state.pendingSince = undefined;
        continue;
      }
      state.pendingSince ??= now;
      if (now - state.pendingSince >= rule.forMs) {
        state.active = {
          name: rule.name,
          metric: rule.metric,
          level: rule.level,
          value,
          limit: rule.above,
          since: now,
        };
        transitions.push({ kind: 'raised', alert: { ...state.active } });
      }
    }
    return transitions;
  }

  active(): Alert[] {
    return this.#states.flatMap((state) => (state.active ? [{ ...state.active }] : []));
  }

  rules(): ThresholdRule[] {
    return this.#states.map((state) => ({ ...state.rule }));
  }
}
