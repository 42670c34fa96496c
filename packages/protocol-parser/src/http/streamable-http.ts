import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport } from '../endpoint/transport.js';
import { JsonRpcErrorCode, MimoErrorCode } from '../errors.js';
import { parseJson } from '../json/safe-json.js';
import type { JsonRpcMessage, JsonRpcResponse, RequestId } from '../jsonrpc/messages.js';
import { decodeMcpHeaderValue, MCP_NAME_FIELDS, McpHttpHeader, mcpNameOf } from '../mcp/http-headers.js';
import { readModernMeta } from '../mcp/methods.js';
import { META_KEYS } from '../mcp/schemas.js';
import { LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS, protocolEra } from '../mcp/versions.js';
import type { McpServer, McpSession } from '../server/mcp-server.js';
import { type Disposable, Emitter } from '../util/emitter.js';
import {
  checkOrigin,
  createBearerVerifier,
  hostnameOf,
  isLoopbackHostname,
  RateLimiter,
  type RateLimitOptions,
} from './security.js';

export interface McpHttpHandlerOptions {
  /** The server whose tools, resources and prompts are served. */
  server: McpServer;
  /** Path of the MCP endpoint. @default '/mcp' */
  path?: string;
  /** Largest request body, in bytes (413 beyond). @default 4 MiB */
  maxBodyBytes?: number;
  /**
   * Most legacy sessions at once. When full, `initialize` evicts the least recently used session that has
   * no request in flight, preferring one without an open GET stream (the evicted stream is ended); 503
   * only when every session is busy. @default 1_000
   */
  maxSessions?: number;
  /** A legacy session without requests or an open stream for this long is ended. @default 30 minutes */
  sessionIdleMs?: number;
  /**
   * `Host` names accepted (DNS-rebinding protection). `undefined` accepts loopback names only, which is
   * right for a server bound to 127.0.0.1; a server behind a proxy lists its public names. `'*'` accepts any.
   */
  allowedHosts?: readonly string[] | '*';
  /** Browser origins accepted besides loopback ones (exact, e.g. `https://app.example.com`). */
  allowedOrigins?: readonly string[];
  /** Bearer tokens; when non-empty every request must carry one (`Authorization: Bearer …`). */
  tokens?: readonly string[];
  /** Per-client token bucket (client = token, else remote address); `false` turns it off. */
  rateLimit?: RateLimitOptions | false;
  /**
   * Failed bearer-token checks allowed per remote address, as a token bucket: past it the address gets
   * 429 with `Retry-After` and its tokens are not even compared, so guessing is slowed to `perSecond`.
   * Behind a reverse proxy every client shares the proxy's address. `false` turns it off.
   * @default { burst: 10, perSecond: 0.1 } (10 failures, then one per 10 s)
   */
  authFailureLimit?: RateLimitOptions | false;
  /**
   * Most legacy GET (notification) streams one client holds at once (client = token, else remote address);
   * beyond it a new GET gets 429. @default 16
   */
  maxStreamsPerClient?: number;
  /** Interval of SSE keep-alive comments on open streams. @default 15_000 */
  heartbeatMs?: number;
}

export interface McpHttpEvents extends Record<string, unknown> {
  /** A request refused before it reached the server (bad headers, auth, rate limit…). */
  'request-rejected': { status: number; code: number; reason: string };
  'session-created': { sessionId: string; sessions: number };
  'session-closed': {
    sessionId: string;
    sessions: number;
    reason: 'deleted' | 'idle' | 'evicted' | 'closed';
  };
}

/** What the handler passes to tool handlers as `scope.info`. */
export interface McpHttpRequestInfo {
  transport: 'http';
  remoteAddress: string | undefined;
  /** Whether the request carried a valid bearer token (tokens themselves are never passed on). */
  authenticated: boolean;
  sessionId: string | undefined;
}

export interface McpHttpHandler {
  /** Handles a request if its path is the MCP endpoint; returns false (untouched) otherwise. */
  handle(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
  /**
   * Checks `Host`, `Origin`, the bearer token and the rate limit of any request (for other routes of the
   * same server, like an events stream or metrics). Writes the error response and returns false on refusal.
   * `{ authenticate: false }` checks only `Host` and `Origin` (DNS rebinding), for routes that probes call
   * without a token, like `/health`.
   */
  admit(request: IncomingMessage, response: ServerResponse, options?: { authenticate?: boolean }): boolean;
  readonly sessionCount: number;
  /** Requests being handled right now. */
  readonly inFlight: number;
  on<E extends keyof McpHttpEvents>(event: E, listener: (payload: McpHttpEvents[E]) => void): Disposable;
  /** Refuses new requests (503), ends open streams and sessions. */
  close(): Promise<void>;
}

interface LegacySession {
  id: string;
  session: McpSession;
  lastSeen: number;
  stream: ServerResponse | undefined;
  /** Who holds `stream` (see `#clientKey`), to bound streams per client. */
  streamClient: string | undefined;
  active: number;
}

const SUPPORTED_LEGACY: readonly string[] = LEGACY_PROTOCOL_VERSIONS;

class Rejection {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly message: string,
    readonly id: RequestId | null = null,
    readonly headers: Record<string, string> = {},
    readonly data?: unknown,
  ) {}
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value?.trim();
}

function accepts(acceptHeader: string | undefined, type: string): boolean {
  if (!acceptHeader) return false;
  const [major] = type.split('/');
  return acceptHeader
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase())
    .some((media) => media === type || media === `${major}/*` || media === '*/*');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tooMany(retryAfterMs: number, what: string): Rejection {
  return new Rejection(
    429,
    MimoErrorCode.RATE_LIMITED,
    `Too many ${what}: retry in ${retryAfterMs} ms`,
    null,
    { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
    { retryAfterMs },
  );
}

function sseEvent(message: unknown): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/**
 * Serves an {@link McpServer} over Streamable HTTP, both protocol eras on one endpoint:
 * - 2026-07-28: stateless POSTs carrying `_meta`, checked against `MCP-Protocol-Version`, `Mcp-Method` and
 *   `Mcp-Name` (400 / -32020 on a missing or disagreeing header); `subscriptions/listen` streams over SSE.
 * - 2025-11-25 and older: `initialize` opens a session (`Mcp-Session-Id`, 122 random bits); requests must
 *   carry it (400 without, 404 unknown); GET opens the session's notification stream; DELETE ends it.
 *
 * The status for every malformed request follows the specification and the official SDK: 400/-32700 bad
 * JSON, 400/-32600 invalid message, 406 bad `Accept`, 415 bad `Content-Type`, 413 too large, 405 other
 * methods, 202 for notifications and responses, 400 for an unsupported `MCP-Protocol-Version`. Before any of
 * that, `Host` and `Origin` are checked (403), then the bearer token (401) and the rate limit (429).
 * A reply goes as JSON unless the handler sends notifications (progress, logs) first; then it switches to SSE.
 */
export function createMcpHttpHandler(options: McpHttpHandlerOptions): McpHttpHandler {
  return new StreamableHttpHandler(options);
}

class StreamableHttpHandler implements McpHttpHandler {
  readonly #server: McpServer;
  readonly #path: string;
  readonly #maxBodyBytes: number;
  readonly #maxSessions: number;
  readonly #sessionIdleMs: number;
  readonly #heartbeatMs: number;
  readonly #allowedHosts: readonly string[] | '*' | undefined;
  readonly #allowedOrigins: readonly string[];
  readonly #verify: ((authorization: string | undefined) => boolean) | undefined;
  readonly #limiter: RateLimiter | undefined;
  readonly #authFailures: RateLimiter | undefined;
  readonly #maxStreamsPerClient: number;
  /** Open legacy GET streams per client key. */
  readonly #streamsByClient = new Map<string, number>();
  readonly #sessions = new Map<string, LegacySession>();
  readonly #events = new Emitter<McpHttpEvents>();
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #heartbeat: ReturnType<typeof setInterval>;
  readonly #openResponses = new Set<ServerResponse>();
  #inFlight = 0;
  #closed = false;

  constructor(options: McpHttpHandlerOptions) {
    this.#server = options.server;
    this.#path = options.path ?? '/mcp';
    this.#maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
    this.#maxSessions = options.maxSessions ?? 1000;
    this.#sessionIdleMs = options.sessionIdleMs ?? 30 * 60_000;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#allowedHosts =
      options.allowedHosts === undefined || options.allowedHosts === '*'
        ? options.allowedHosts
        : options.allowedHosts.map((host) => host.toLowerCase());
    this.#allowedOrigins = options.allowedOrigins ?? [];
    this.#verify =
      options.tokens && options.tokens.length > 0 ? createBearerVerifier(options.tokens) : undefined;
    this.#limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
    const authFailureLimit = options.authFailureLimit ?? { burst: 10, perSecond: 0.1 };
    this.#authFailures = this.#verify && authFailureLimit ? new RateLimiter(authFailureLimit) : undefined;
    this.#maxStreamsPerClient = options.maxStreamsPerClient ?? 16;
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(60_000, this.#sessionIdleMs));
    this.#sweeper.unref();
    this.#heartbeat = setInterval(() => {
      for (const response of this.#openResponses) response.write(': keep-alive\n\n');
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  on<E extends keyof McpHttpEvents>(event: E, listener: (payload: McpHttpEvents[E]) => void): Disposable {
    return this.#events.on(event, listener);
  }

  admit(
    request: IncomingMessage,
    response: ServerResponse,
    options: { authenticate?: boolean } = {},
  ): boolean {
    const rejection = this.#gate(request, options.authenticate ?? true);
    if (!rejection) return true;
    this.#reject(response, rejection);
    return false;
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = request.url ?? '/';
    const path = url.split('?')[0];
    if (path !== this.#path) return false;
    this.#inFlight++;
    try {
      if (this.#closed) {
        this.#reject(
          response,
          new Rejection(503, MimoErrorCode.SHUTTING_DOWN, 'The server is shutting down', null, {
            'Retry-After': '5',
          }),
        );
        return true;
      }
      const gate = this.#gate(request);
      if (gate) {
        this.#reject(response, gate);
        return true;
      }
      switch (request.method) {
        case 'POST':
          await this.#post(request, response);
          break;
        case 'GET':
          this.#get(request, response);
          break;
        case 'DELETE':
          await this.#delete(request, response);
          break;
        default:
          this.#reject(
            response,
            new Rejection(405, -32000, `Method not allowed: ${request.method}`, null, {
              Allow: 'GET, POST, DELETE',
            }),
          );
      }
    } catch (error) {
      if (error instanceof Rejection) this.#reject(response, error);
      else if (!response.headersSent) {
        this.#reject(response, new Rejection(500, JsonRpcErrorCode.INTERNAL_ERROR, 'Internal error'));
      } else response.end();
    } finally {
      this.#inFlight--;
    }
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#heartbeat);
    for (const response of this.#openResponses) response.end();
    this.#openResponses.clear();
    await Promise.all([...this.#sessions.values()].map((entry) => this.#end(entry, 'closed')));
  }

  /** Host, Origin, token, rate limit: the checks every route shares (the last two when `authenticate`). */
  #gate(request: IncomingMessage, authenticate = true): Rejection | undefined {
    if (this.#allowedHosts !== '*') {
      const hostname = hostnameOf(header(request, 'host'));
      const ok =
        hostname !== undefined &&
        (this.#allowedHosts === undefined
          ? isLoopbackHostname(hostname)
          : this.#allowedHosts.includes(hostname) ||
            this.#allowedHosts.includes(header(request, 'host') ?? ''));
      if (!ok) {
        return new Rejection(
          403,
          -32000,
          `Forbidden: Host ${JSON.stringify(header(request, 'host') ?? '')} is not allowed`,
        );
      }
    }
    const origin = checkOrigin(header(request, 'origin'), { allowed: this.#allowedOrigins });
    if (!origin.ok) return new Rejection(403, -32000, `Forbidden: ${origin.reason}`);
    if (!authenticate) return undefined;
    if (this.#verify) {
      const address = `ip:${request.socket.remoteAddress}`;
      // An address that failed too often is refused before its token is even compared.
      const allowed = this.#authFailures?.peek(address);
      if (allowed && !allowed.ok) return tooMany(allowed.retryAfterMs, 'failed token checks');
      if (!this.#verify(header(request, 'authorization'))) {
        this.#authFailures?.take(address);
        return new Rejection(401, -32000, 'Unauthorized: a valid bearer token is required', null, {
          'WWW-Authenticate': 'Bearer',
        });
      }
    }
    if (this.#limiter) {
      const taken = this.#limiter.take(this.#clientKey(request));
      if (!taken.ok) return tooMany(taken.retryAfterMs, 'requests');
    }
    return undefined;
  }

  /** Who a request comes from, for per-client limits: its token when tokens are set, else its address. */
  #clientKey(request: IncomingMessage): string {
    return this.#verify ? `token:${header(request, 'authorization')}` : `ip:${request.socket.remoteAddress}`;
  }

  #reject(response: ServerResponse, rejection: Rejection): void {
    this.#events.emit('request-rejected', {
      status: rejection.status,
      code: rejection.code,
      reason: rejection.message,
    });
    if (response.headersSent) {
      response.end();
      return;
    }
    // A refused request's body is not read: keeping the connection would mean waiting for that body (a
    // client sending half a body held the socket, and 1,100 of them exhausted the descriptors).
    if (response.req && !response.req.complete) response.setHeader('Connection', 'close');
    response.writeHead(rejection.status, { 'Content-Type': 'application/json', ...rejection.headers });
    response.end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: rejection.id,
        error: {
          code: rejection.code,
          message: rejection.message,
          ...(rejection.data === undefined ? {} : { data: rejection.data }),
        },
      }),
    );
  }

  #info(request: IncomingMessage, sessionId: string | undefined): McpHttpRequestInfo {
    return {
      transport: 'http',
      remoteAddress: request.socket.remoteAddress,
      authenticated: this.#verify !== undefined,
      sessionId,
    };
  }

  async #readBody(request: IncomingMessage): Promise<string> {
    const declared = Number(header(request, 'content-length') ?? Number.NaN);
    const tooLarge = () =>
      new Rejection(
        413,
        MimoErrorCode.MESSAGE_TOO_LARGE,
        `Request body is larger than the limit of ${this.#maxBodyBytes} bytes`,
        null,
        {},
        { limitBytes: this.#maxBodyBytes },
      );
    if (declared > this.#maxBodyBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > this.#maxBodyBytes) {
        request.resume();
        throw tooLarge();
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async #post(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const accept = header(request, 'accept');
    if (!accepts(accept, 'application/json') || !accepts(accept, 'text/event-stream')) {
      throw new Rejection(
        406,
        -32000,
        'Not Acceptable: Accept must list application/json and text/event-stream',
      );
    }
    const contentType = header(request, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') {
      throw new Rejection(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    }
    const text = await this.#readBody(request);
    let body: unknown;
    try {
      body = parseJson(text);
    } catch (error) {
      throw new Rejection(400, JsonRpcErrorCode.PARSE_ERROR, `Parse error: ${(error as Error).message}`);
    }

    const versionHeader = header(request, McpHttpHeader.PROTOCOL_VERSION);
    const headerIsModern = protocolEra(versionHeader) === 'modern';
    const single = isRecord(body) ? body : undefined;
    const params = single?.params;
    const claim =
      isRecord(params) && isRecord(params._meta) ? params._meta[META_KEYS.PROTOCOL_VERSION] : undefined;

    if (Array.isArray(body)) {
      if (body.length === 0) {
        throw new Rejection(
          400,
          JsonRpcErrorCode.INVALID_REQUEST,
          'Invalid Request: an empty array is not a valid batch',
        );
      }
      if (
        body.some(
          (item) =>
            isRecord(item) &&
            isRecord(item.params) &&
            isRecord(item.params._meta) &&
            META_KEYS.PROTOCOL_VERSION in item.params._meta,
        )
      ) {
        throw new Rejection(
          400,
          JsonRpcErrorCode.INVALID_REQUEST,
          'JSON-RPC batches may not contain 2026-07-28 requests',
        );
      }
      await this.#legacy(request, response, body, versionHeader);
      return;
    }
    if (
      single?.jsonrpc !== '2.0' ||
      (typeof single.method !== 'string' && !('result' in single) && !('error' in single))
    ) {
      const id =
        single && (typeof single.id === 'string' || typeof single.id === 'number') ? single.id : null;
      throw new Rejection(
        400,
        JsonRpcErrorCode.INVALID_REQUEST,
        'Invalid Request: the body is not a JSON-RPC message',
        id,
      );
    }
    const isModern =
      (claim !== undefined && !(single.method === 'initialize' && protocolEra(claim) !== 'modern')) ||
      (headerIsModern && single.method !== 'initialize');
    if (single.method === 'initialize' && headerIsModern && protocolEra(claim) !== 'modern') {
      throw new Rejection(
        400,
        JsonRpcErrorCode.HEADER_MISMATCH,
        'initialize (the legacy handshake) was sent with a 2026-07-28 MCP-Protocol-Version header',
        single.id as RequestId,
      );
    }
    if (isModern) await this.#modern(request, response, single, versionHeader);
    else await this.#legacy(request, response, single, versionHeader);
  }

  /** A stateless 2026-07-28 message: validated headers, one short-lived session. */
  async #modern(
    request: IncomingMessage,
    response: ServerResponse,
    body: Record<string, unknown>,
    versionHeader: string | undefined,
  ): Promise<void> {
    const id = typeof body.id === 'string' || typeof body.id === 'number' ? body.id : null;
    const method = typeof body.method === 'string' ? body.method : undefined;
    if (method === undefined) {
      throw new Rejection(
        400,
        JsonRpcErrorCode.INVALID_REQUEST,
        'JSON-RPC responses cannot be posted to a 2026-07-28 endpoint',
        id,
      );
    }
    const isRequest = id !== null;
    const mismatch = (message: string) =>
      new Rejection(400, JsonRpcErrorCode.HEADER_MISMATCH, `Header mismatch: ${message}`, id);
    const params = body.params;
    if (isRequest) {
      const read = readModernMeta(params, MODERN_PROTOCOL_VERSIONS);
      if (!read.ok) throw new Rejection(400, read.error.code, read.error.message, id, {}, read.error.data);
      const claimed = read.context.protocolVersion;
      if (versionHeader === undefined) throw mismatch('the required MCP-Protocol-Version header is missing');
      if (versionHeader !== claimed) {
        throw mismatch(`MCP-Protocol-Version header says ${versionHeader}, the body's _meta says ${claimed}`);
      }
      const methodHeader = header(request, McpHttpHeader.METHOD);
      if (methodHeader === undefined) throw mismatch('the required Mcp-Method header is missing');
      if (methodHeader !== method)
        throw mismatch(`Mcp-Method header says ${methodHeader}, the body says ${method}`);
      const field = MCP_NAME_FIELDS[method];
      const bodyName = mcpNameOf(method, params);
      if (bodyName !== undefined) {
        const nameHeader = header(request, McpHttpHeader.NAME);
        if (nameHeader === undefined)
          throw mismatch(`the required Mcp-Name header is missing (params.${field})`);
        const decoded = decodeMcpHeaderValue(nameHeader);
        if (decoded !== bodyName)
          throw mismatch(`Mcp-Name header says ${decoded}, params.${field} says ${bodyName}`);
      }
    } else {
      const methodHeader = header(request, McpHttpHeader.METHOD);
      if (methodHeader !== undefined && methodHeader !== method) {
        throw mismatch(`Mcp-Method header says ${methodHeader}, the body says ${method}`);
      }
    }
    const session = this.#server.createSession();
    try {
      await this.#dispatch(request, response, session, body, undefined);
    } finally {
      await session.close();
    }
  }

  /** A legacy message: `initialize` opens a session; anything else must name one. */
  async #legacy(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    versionHeader: string | undefined,
  ): Promise<void> {
    const single = isRecord(body) ? body : undefined;
    if (single?.method === 'initialize') {
      if (header(request, McpHttpHeader.SESSION_ID) !== undefined) {
        throw new Rejection(
          400,
          JsonRpcErrorCode.INVALID_REQUEST,
          'Invalid Request: initialize must not carry an Mcp-Session-Id',
          single.id as RequestId,
        );
      }
      await this.#initialize(request, response, single);
      return;
    }
    if (versionHeader !== undefined && !SUPPORTED_LEGACY.includes(versionHeader)) {
      throw new Rejection(
        400,
        -32000,
        `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(versionHeader)} (supported: ${[...SUPPORTED_LEGACY, ...MODERN_PROTOCOL_VERSIONS].join(', ')})`,
      );
    }
    const entry = this.#sessionOf(request);
    await this.#dispatch(request, response, entry.session, body, entry);
  }

  async #initialize(
    request: IncomingMessage,
    response: ServerResponse,
    body: Record<string, unknown>,
  ): Promise<void> {
    if (this.#sessions.size >= this.#maxSessions) this.#evictIdle();
    if (this.#sessions.size >= this.#maxSessions) {
      throw new Rejection(
        503,
        MimoErrorCode.SERVER_BUSY,
        `Too many sessions (limit ${this.#maxSessions}); retry later`,
        body.id as RequestId,
        { 'Retry-After': '5' },
      );
    }
    const session = this.#server.createSession();
    const id = randomUUID();
    const entry: LegacySession = {
      id,
      session,
      lastSeen: performance.now(),
      stream: undefined,
      streamClient: undefined,
      active: 0,
    };
    // Server-initiated messages (list_changed) go to the session's GET stream when one is open.
    const transport: Transport = {
      start: async () => {},
      send: async (message) => {
        entry.stream?.write(sseEvent(message));
      },
      close: async () => {},
    };
    await session.endpoint.connect(transport);
    response.setHeader('Mcp-Session-Id', id);
    const reply = await session.handle(body, { sink: async () => {}, info: this.#info(request, id) });
    if (reply && !Array.isArray(reply) && 'result' in reply) {
      this.#sessions.set(id, entry);
      this.#events.emit('session-created', { sessionId: id, sessions: this.#sessions.size });
    } else {
      response.removeHeader('Mcp-Session-Id');
      await session.close();
    }
    this.#writeReply(response, reply, false);
  }

  #sessionOf(request: IncomingMessage): LegacySession {
    const id = header(request, McpHttpHeader.SESSION_ID);
    if (id === undefined) {
      throw new Rejection(
        400,
        -32000,
        'Bad Request: Mcp-Session-Id header is required (send initialize first)',
      );
    }
    const entry = this.#sessions.get(id);
    if (!entry)
      throw new Rejection(404, -32001, 'Session not found: it ended or never existed; initialize again');
    entry.lastSeen = performance.now();
    return entry;
  }

  /** Runs one message (or batch) through a session; answers JSON, SSE, or 202. */
  async #dispatch(
    request: IncomingMessage,
    response: ServerResponse,
    session: McpSession,
    body: unknown,
    entry: LegacySession | undefined,
  ): Promise<void> {
    const hasRequest = Array.isArray(body)
      ? body.some((item) => isRecord(item) && typeof item.method === 'string' && 'id' in item)
      : isRecord(body) && typeof body.method === 'string' && 'id' in body;
    if (!hasRequest) {
      const reply = await session.handle(body, {
        sink: async () => {},
        info: this.#info(request, entry?.id),
      });
      if (reply === undefined) {
        response.writeHead(202).end();
        return;
      }
      // An array that is no valid batch (`[1]`, `[[1]]`, or any batch where the version forbids them) gets
      // the -32600 stdio answers, with 400; a 2025-03-26 batch of invalid members gets their errors.
      const text = JSON.stringify(reply);
      response.writeHead(Array.isArray(reply) ? 200 : 400, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
      });
      response.end(text);
      return;
    }
    if (entry) entry.active++;
    let streaming = false;
    const sink = async (message: JsonRpcMessage) => {
      if (response.writableEnded) return;
      if (!streaming) {
        streaming = true;
        response.writeHead(200, {
          'Content-Type': 'text/event-stream',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
        });
        this.#openResponses.add(response);
      }
      response.write(sseEvent(message));
    };
    // A client that goes away cancels what it asked for.
    const onClose = () => {
      if (response.writableEnded) return;
      const ids = (Array.isArray(body) ? body : [body]).filter(isRecord).map((item) => item.id);
      for (const requestId of ids) {
        void session.handle(
          {
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId, reason: 'client disconnected' },
          },
          { sink: async () => {} },
        );
      }
    };
    response.on('close', onClose);
    try {
      const reply = await session.handle(body, { sink, info: this.#info(request, entry?.id) });
      this.#openResponses.delete(response);
      this.#writeReply(response, reply, streaming);
    } finally {
      response.off('close', onClose);
      if (entry) {
        entry.active--;
        entry.lastSeen = performance.now();
      }
    }
  }

  #writeReply(
    response: ServerResponse,
    reply: JsonRpcResponse | JsonRpcResponse[] | undefined,
    streaming: boolean,
  ): void {
    if (response.writableEnded) return;
    if (streaming) {
      if (reply !== undefined) response.write(sseEvent(reply));
      response.end();
      return;
    }
    if (reply === undefined) {
      response.writeHead(202).end();
      return;
    }
    const text = JSON.stringify(reply);
    response.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    response.end(text);
  }

  #get(request: IncomingMessage, response: ServerResponse): void {
    if (!accepts(header(request, 'accept'), 'text/event-stream')) {
      throw new Rejection(406, -32000, 'Not Acceptable: Accept must list text/event-stream');
    }
    if (
      header(request, McpHttpHeader.SESSION_ID) === undefined &&
      protocolEra(header(request, McpHttpHeader.PROTOCOL_VERSION)) === 'modern'
    ) {
      throw new Rejection(
        405,
        -32000,
        'Method not allowed: 2026-07-28 has no GET stream; use subscriptions/listen',
        null,
        { Allow: 'POST' },
      );
    }
    const entry = this.#sessionOf(request);
    if (entry.stream && !entry.stream.writableEnded) {
      throw new Rejection(409, -32000, 'Conflict: this session already has an open GET stream');
    }
    const client = this.#clientKey(request);
    const held = this.#streamsByClient.get(client) ?? 0;
    if (held >= this.#maxStreamsPerClient) {
      throw new Rejection(
        429,
        MimoErrorCode.RATE_LIMITED,
        `Too many open streams: this client holds ${held} (limit ${this.#maxStreamsPerClient}); close one first`,
        null,
        { 'Retry-After': '5' },
        { limit: this.#maxStreamsPerClient },
      );
    }
    this.#streamsByClient.set(client, held + 1);
    response.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'Mcp-Session-Id': entry.id,
    });
    response.flushHeaders();
    entry.stream = response;
    entry.streamClient = client;
    this.#openResponses.add(response);
    response.on('close', () => {
      if (entry.stream === response) {
        entry.stream = undefined;
        entry.streamClient = undefined;
      }
      const left = (this.#streamsByClient.get(client) ?? 1) - 1;
      if (left > 0) this.#streamsByClient.set(client, left);
      else this.#streamsByClient.delete(client);
      this.#openResponses.delete(response);
      entry.lastSeen = performance.now();
    });
  }

  async #delete(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const entry = this.#sessionOf(request);
    await this.#end(entry, 'deleted');
    response.writeHead(200).end();
  }

  async #end(entry: LegacySession, reason: McpHttpEvents['session-closed']['reason']): Promise<void> {
    if (!this.#sessions.delete(entry.id)) return;
    entry.stream?.end();
    await entry.session.close();
    this.#events.emit('session-closed', { sessionId: entry.id, sessions: this.#sessions.size, reason });
  }

  #sweep(): void {
    const now = performance.now();
    for (const entry of this.#sessions.values()) {
      if (entry.active === 0 && !entry.stream && now - entry.lastSeen > this.#sessionIdleMs)
        void this.#end(entry, 'idle');
    }
  }

  /**
   * Makes room for one session: ends the least recently used one with nothing in flight, preferring one
   * without a GET stream. Streams count as use only when they were opened or a request came: a client that
   * opens streams and goes quiet must not lock everyone else out (1,000 such sessions did).
   */
  #evictIdle(): void {
    let oldest: LegacySession | undefined;
    let oldestStreaming: LegacySession | undefined;
    for (const entry of this.#sessions.values()) {
      if (entry.active > 0) continue;
      if (!entry.stream) {
        if (!oldest || entry.lastSeen < oldest.lastSeen) oldest = entry;
      } else if (!oldestStreaming || entry.lastSeen < oldestStreaming.lastSeen) oldestStreaming = entry;
    }
    const victim = oldest ?? oldestStreaming;
    if (victim) void this.#end(victim, 'evicted');
  }
}
