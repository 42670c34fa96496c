import { createStreamTransport } from '@mimo-mcp/protocol-parser';
import type { Logger } from 'pino';
import { createMimo } from './app.js';
import type { MimoConfig } from './config.js';
import { drain, onShutdown } from './shutdown.js';
import { VERSION } from './version.js';

/**
 * Runs Mimo as an MCP server on stdin/stdout until the client closes stdin or a signal arrives. Shutdown
 * refuses new tool calls, lets calls in flight finish (up to `shutdownGraceMs`), stops every skill's process
 * group, and closes the database. The SIGTERM a client sends after closing stdin only cuts the wait for
 * calls in flight; a second SIGINT/SIGTERM after a signal exits at once.
 */
export async function serveStdio(config: MimoConfig, logger: Logger): Promise<void> {
  const started = performance.now();
  const mimo = await createMimo(config, logger);

  const session = await mimo.server.connect(
    // A client that pipelines requests faster than it reads answers waits in its pipe, not in our memory.
    createStreamTransport({
      readable: process.stdin,
      writable: process.stdout,
      pauseReadingAboveBytes: 1024 * 1024,
    }),
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

  const { trigger, done } = onShutdown(logger, async (_reason, hurry) => {
    mimo.stopAccepting();
    await drain(() => session.endpoint.inFlightRequestCount, config.shutdownGraceMs, logger, hurry);
    await session.close().catch(() => {});
    await mimo.close();
  });
  session.endpoint.on('close', () => void trigger('stdin closed'));
  await done;
}
