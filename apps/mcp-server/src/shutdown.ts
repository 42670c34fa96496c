import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';

/**
 * Runs `shutdown` once on the first SIGINT or SIGTERM (or when `trigger` is called); a second signal while
 * it runs exits at once (130 for SIGINT, 143 for SIGTERM).
 */
export function onShutdown(
  logger: Logger,
  shutdown: (reason: string) => Promise<void>,
): { trigger(reason: string): Promise<void>; done: Promise<void> } {
  let running: Promise<void> | undefined;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const trigger = (reason: string): Promise<void> => {
    running ??= (async () => {
      logger.info({ reason }, 'shutting down');
      await shutdown(reason);
      logger.info('stopped');
      finish();
    })();
    return running;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    void trigger(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { trigger, done };
}

/** Waits until nothing is in flight, for at most `graceMs`; logs what is left. */
export async function drain(inFlight: () => number, graceMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (inFlight() > 0 && Date.now() < deadline) await delay(20);
  if (inFlight() > 0)
    logger.warn({ inFlight: inFlight() }, 'calls still running at the end of the grace period');
}
