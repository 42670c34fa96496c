import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  createMcpHttpHandler,
  isLoopbackHostname,
  writeUpgradeRejection,
} from '@mimo-mcp/protocol-parser/http';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { createMimo, type Mimo } from './app.js';
import { ConfigError, type MimoConfig } from './config.js';
import { drain, onShutdown } from './shutdown.js';
import { VERSION } from './version.js';

/** Events on `/events`: one JSON object per message, `{ type, at, ...payload }`. */
export type MimoEvent =
  | { type: 'memory-stored'; ids: string[] }
  | { type: 'memory-updated'; id: string }
  | { type: 'memory-deleted'; ids: string[] }
  | { type: 'skill-health'; skill: string; from: string; to: string }
  | { type: 'breaker-open' | 'breaker-closed'; skill: string }
  | {
      type: 'alert-raised' | 'alert-resolved';
      name: string;
      level: string;
      metric: string;
      value: number;
      limit: number;
    };

function isLoopbackBind(host: string): boolean {
  return isLoopbackHostname(host) || host.startsWith('127.');
}

/** This process's soft limit on open files (Linux: /proc/self/limits), or undefined where unknown. */
export function softFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return line === undefined || line === 'unlimited' ? undefined : Number(line);
  } catch {
    return undefined;
  }
}

/**
 * Connections allowed at once: half the soft descriptor limit leaves the other half to the database, the
 * skills' pipes and the log; past the limit Node closes new sockets on accept instead of running out of
 * descriptors (Node cannot raise its own limit: there is no setrlimit).
 */
export function defaultMaxConnections(softLimit = softFileLimit()): number {
  return softLimit === undefined ? 1000 : Math.max(16, Math.min(10_000, Math.floor(softLimit / 2)));
}

/**
 * Runs Mimo over Streamable HTTP (`/mcp`), with `/health`, `/ready`, `/metrics` and a WebSocket event stream
 * (`/events`), until SIGINT/SIGTERM. Loopback by default; any other address needs a token.
 */
export async function serveHttp(
  config: MimoConfig,
  logger: Logger,
): Promise<{ url: string; close(): Promise<void>; done: Promise<void> }> {
  const http = config.http;
  if (!isLoopbackBind(http.host) && http.tokens.length === 0) {
    throw new ConfigError(
      `http.host: binding ${http.host} (not loopback) requires a token: set --token-file, MIMO_HTTP_TOKENS_FILE or http.tokenFile`,
    );
  }
  for (const warning of http.warnings) logger.warn(warning);
  const mimo = await createMimo(config, logger);
  const handler = createMcpHttpHandler({
    server: mimo.server,
    maxBodyBytes: http.maxBodyBytes,
    rateLimit: http.rateLimit,
    authFailureLimit: http.authFailureLimit,
    maxStreamsPerClient: http.maxStreamsPerClient,
    tokens: http.tokens,
    allowedOrigins: http.allowedOrigins,
    // Bound to loopback: only loopback Host names (DNS rebinding). Elsewhere: what the operator lists.
    allowedHosts: http.allowedHosts ?? (isLoopbackBind(http.host) ? undefined : '*'),
  });
  const requests = mimo.monitor.addCounter({
    name: 'mimo_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
  });
  const eventClientsDropped = mimo.monitor.addCounter({
    name: 'mimo_events_clients_dropped_total',
    help: 'Event-stream clients dropped for falling behind or missing heartbeats',
  });
  mimo.monitor.addGauge({
    name: 'mimo_http_sessions',
    help: 'Open legacy (2025-11-25 and older) HTTP sessions',
    collect: () => handler.sessionCount,
  });
  handler.on('request-rejected', ({ status, reason }) => logger.debug({ status, reason }, 'request refused'));
  const connectionsRefused = mimo.monitor.addCounter({
    name: 'mimo_http_connections_refused_total',
    help: 'Connections closed on accept: too many from one address (per_client) or in all (total)',
    labelNames: ['limit'],
  });
  mimo.monitor.on('sample-error', ({ error }) =>
    logger.warn({ code: (error as NodeJS.ErrnoException)?.code }, 'resource sample failed'),
  );

  const events = startEventStream(mimo, logger, http.events, () => eventClientsDropped.inc());
  mimo.monitor.addGauge({
    name: 'mimo_events_clients',
    help: 'Clients connected to the /events stream',
    collect: () => events.clients(),
  });

  const route = (request: IncomingMessage) => (request.url ?? '/').split('?')[0] ?? '/';
  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  let draining = false;
  const server = createServer(
    {
      // A request must arrive whole in time, headers and body; a refused one is closed at once (its body
      // is never read). Both bound what a client sending half a request holds. SSE responses last as long
      // as they need: the deadline covers receiving the request, not answering it.
      requestTimeout: http.requestTimeoutMs,
      headersTimeout: Math.min(15_000, http.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1000, http.requestTimeoutMs),
    },
    async (request, response) => {
      const path = route(request);
      response.on('finish', () =>
        requests.inc({
          route: ['/mcp', '/health', '/ready', '/metrics', '/events'].includes(path) ? path : 'other',
          status: String(response.statusCode),
        }),
      );
      try {
        if (await handler.handle(request, response)) return;
        if (path === '/health' && request.method === 'GET') {
          // Liveness only: cheap, no database work, no token (probes carry none), but the same Host and
          // Origin rules as every route (DNS rebinding would otherwise let a web page read it).
          if (!handler.admit(request, response, { authenticate: false })) return;
          json(response, draining ? 503 : 200, { status: draining ? 'draining' : 'ok', version: VERSION });
          return;
        }
        if (!handler.admit(request, response)) return;
        if (path === '/ready' && request.method === 'GET') {
          const skills = mimo.gateway.skills().map((skill) => ({ name: skill.name, health: skill.health }));
          const database = mimo.store.closed ? 'closed' : 'open';
          const ready = !draining && database === 'open';
          json(response, ready ? 200 : 503, {
            status: ready ? 'ready' : 'not-ready',
            database,
            embedder: { id: mimo.store.embedder.id, dimensions: mimo.store.embedder.dimensions },
            skills,
          });
          return;
        }
        if (path === '/metrics' && request.method === 'GET') {
          const text = await mimo.monitor.metrics();
          response.writeHead(200, { 'Content-Type': mimo.monitor.registry.contentType }).end(text);
          return;
        }
        json(response, 404, { error: `Not found: ${request.method} ${path}` });
      } catch (error) {
        logger.error({ err: error, path }, 'request failed');
        if (!response.headersSent) json(response, 500, { error: 'Internal error' });
        else response.end();
      }
    },
  );
  const maxConnections = http.maxConnections ?? defaultMaxConnections();
  server.maxConnections = maxConnections;
  server.on('drop', () => connectionsRefused.inc({ limit: 'total' }));
  const perClient = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (perClient.get(address) ?? 0) + 1;
    if (count > http.maxConnectionsPerClient) {
      connectionsRefused.inc({ limit: 'per_client' });
      socket.destroy();
      return;
    }
    perClient.set(address, count);
    socket.once('close', () => {
      const left = (perClient.get(address) ?? 1) - 1;
      if (left > 0) perClient.set(address, left);
      else perClient.delete(address);
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (route(request) !== '/events' || draining) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Same Host/Origin/token/rate rules (and buckets) as /mcp; a refusal is written on the raw socket.
    const refusal = handler.gate.check(request);
    if (refusal) {
      writeUpgradeRejection(socket, refusal);
      return;
    }
    events.upgrade(request, socket, head);
  });
  server.keepAliveTimeout = 5000;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(http.port, http.host, () => resolve());
    });
  } catch (error) {
    events.close();
    await handler.close();
    await mimo.close();
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new ConfigError(
      `http: cannot listen on ${http.host}:${http.port}: ${code} ${(error as Error).message}`,
    );
  }
  // After listening, a server error (EMFILE on accept when descriptors run out) is logged, never thrown:
  // an unhandled 'error' event would end the process.
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info(
    {
      version: VERSION,
      url: `${url}/mcp`,
      auth: http.tokens.length > 0,
      db: config.database.path,
      maxConnections,
      maxConnectionsPerClient: http.maxConnectionsPerClient,
    },
    'mimo ready on HTTP',
  );
  void mimo.gateway.start().catch((error: unknown) => logger.error({ err: error }, 'starting skills failed'));

  const { trigger, done } = onShutdown(logger, async () => {
    draining = true;
    mimo.stopAccepting();
    server.close();
    await drain(() => handler.inFlight, config.shutdownGraceMs, logger);
    events.close();
    await handler.close();
    server.closeAllConnections();
    await mimo.close();
  });
  return { url, close: () => trigger('closed'), done };
}

function startEventStream(
  mimo: Mimo,
  logger: Logger,
  limits: MimoConfig['http']['events'],
  onDropped: () => void,
) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const alive = new WeakMap<WebSocket, boolean>();
  const drop = (socket: WebSocket, reason: string) => {
    logger.info({ reason }, 'event client dropped');
    onDropped();
    socket.terminate();
  };
  const publish = (event: MimoEvent) => {
    if (wss.clients.size === 0) return;
    const text = JSON.stringify({ ...event, at: new Date().toISOString() });
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      // A slow consumer is dropped rather than buffered without bound.
      if (socket.bufferedAmount > limits.maxBufferedBytes) drop(socket, 'too slow');
      else socket.send(text);
    }
  };
  const subscriptions = [
    mimo.store.on('memory-created', ({ ids }) => publish({ type: 'memory-stored', ids })),
    mimo.store.on('memory-updated', ({ id }) => publish({ type: 'memory-updated', id })),
    mimo.store.on('memory-deleted', ({ ids }) => publish({ type: 'memory-deleted', ids })),
    mimo.gateway.on('skill-health', ({ skill, from, to }) => {
      publish({ type: 'skill-health', skill, from, to });
      if (to === 'circuit-open') publish({ type: 'breaker-open', skill });
      else if (from === 'circuit-open') publish({ type: 'breaker-closed', skill });
    }),
    mimo.monitor.on('alert-raised', (alert) =>
      publish({
        type: 'alert-raised',
        name: alert.name,
        level: alert.level,
        metric: alert.metric,
        value: alert.value,
        limit: alert.limit,
      }),
    ),
    mimo.monitor.on('alert-resolved', (alert) =>
      publish({
        type: 'alert-resolved',
        name: alert.name,
        level: alert.level,
        metric: alert.metric,
        value: alert.value,
        limit: alert.limit,
      }),
    ),
  ];
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (alive.get(socket) === false) {
        drop(socket, 'no heartbeat');
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, limits.heartbeatMs);
  heartbeat.unref();
  wss.on('connection', (socket) => {
    alive.set(socket, true);
    socket.on('pong', () => alive.set(socket, true));
    socket.on('message', () => {}); // The stream is one-way; client messages are ignored.
    socket.on('error', () => socket.terminate());
    socket.send(JSON.stringify({ type: 'hello', version: VERSION, at: new Date().toISOString() }));
  });
  return {
    clients: () => wss.clients.size,
    upgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    },
    close() {
      clearInterval(heartbeat);
      for (const subscription of subscriptions) subscription.dispose();
      for (const socket of wss.clients) socket.close(1001, 'server shutting down');
      wss.close();
    },
  };
}
