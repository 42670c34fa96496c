import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';

/**
 * Runs `shutdown` once: on the first SIGINT or SIGTERM, or when `trigger` is called (stdin closed). A signal
 * while a shutdown runs that a signal started exits at once (130 for SIGINT, 143 for SIGTERM): the user
 * insists. A signal while a shutdown runs that `trigger` started is not a second signal: MCP clients close
 * the server's stdin and send SIGTERM when it has not exited a moment later. It aborts `hurry`, so the
 * shutdown stops waiting for calls in flight and finishes; only a signal after that one exits at once.
 */
export function onShutdown(
  logger: Logger,
  shutdown: (reason: string, hurry: AbortSignal) => Promise<void>,
): { trigger(reason: string): Promise<void>; done: Promise<void> } {
  let running: Promise<void> | undefined;
  let startedBySignal = false;
  const hurry = new AbortController();
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const trigger = (reason: string): Promise<void> => {
    running ??= (async () => {
      logger.info({ reason }, 'shutting down');
      await shutdown(reason, hurry.signal);
      logger.info('stopped');
      finish();
    })();
    return running;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (running && (startedBySignal || hurry.signal.aborted)) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    if (running) {
      logger.info({ signal }, 'signal during shutdown: finishing without waiting for calls in flight');
      hurry.abort();
      return;
    }
    startedBySignal = true;
    void trigger(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { trigger, done };
}

/** Waits until nothing is in flight, for at most `graceMs` (or until `hurry` aborts); logs what is left. */
export async function drain(
  inFlight: () => number,
  graceMs: number,
  logger: Logger,
  hurry?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (inFlight() > 0 && Date.now() < deadline && !hurry?.aborted) await delay(20);
  if (inFlight() > 0)
    logger.warn({ inFlight: inFlight() }, 'calls still running at the end of the grace period');
}
