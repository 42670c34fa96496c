import { setTimeout as delay } from 'node:timers/promises';
import { createStreamTransport } from '@mimo-mcp/protocol-parser';
import type { Logger } from 'pino';
import { createMimo } from './app.js';
import type { MimoConfig } from './config.js';
import { VERSION } from './version.js';

/**
 * Runs Mimo as an MCP server on stdin/stdout until the client closes stdin or a signal arrives. Shutdown
 * refuses new tool calls, lets calls in flight finish (up to `shutdownGraceMs`), stops every skill's process
 * group, and closes the database. A second SIGINT/SIGTERM exits at once.
 */
export async function serveStdio(config: MimoConfig, logger: Logger): Promise<void> {
  const started = performance.now();
  const mimo = await createMimo(config, logger);
  let shuttingDown = false;

  const session = await mimo.server.connect(
    createStreamTransport({ readable: process.stdin, writable: process.stdout }),
  );
  logger.info(
    {
      version: VERSION,
      db: config.database.path,
      namespace: config.namespace,
      readyMs: Math.round(performance.now() - started),
    },
    'mimo ready on stdio',
  );
  // Skills start in the background: eager ones connect, lazy ones are discovered; their tools are announced
  // with list_changed as they appear.
  void mimo.gateway.start().catch((error: unknown) => logger.error({ err: error }, 'starting skills failed'));

  await new Promise<void>((resolve) => {
    const shutdown = async (reason: string) => {
      if (shuttingDown) return;
      shuttingDown = true;
      logger.info({ reason }, 'shutting down');
      mimo.stopAccepting();
      const deadline = Date.now() + config.shutdownGraceMs;
      while (session.endpoint.inFlightRequestCount > 0 && Date.now() < deadline) await delay(20);
      if (session.endpoint.inFlightRequestCount > 0) {
        logger.warn(
          { inFlight: session.endpoint.inFlightRequestCount },
          'calls still running at the end of the grace period',
        );
      }
      await session.close().catch(() => {});
      await mimo.close();
      logger.info('stopped');
      resolve();
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (shuttingDown) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      void shutdown(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    session.endpoint.on('close', () => void shutdown('stdin closed'));
  });
}
