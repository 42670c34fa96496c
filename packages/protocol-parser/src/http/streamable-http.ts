import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Disposable, isRecord, Listeners, type OptionKeys, rejectUnknownOptions } from '@mimo-mcp/core';
import type { Transport } from '../endpoint/transport.js';
import { JsonRpcErrorCode, MimoErrorCode, ProtocolError } from '../errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../framing/ndjson.js';
import { parseJson } from '../json/safe-json.js';
import type { JsonRpcMessage, JsonRpcResponse, RequestId } from '../jsonrpc/messages.js';
import { decodeMcpHeaderValue, MCP_NAME_FIELDS, McpHttpHeader, mcpNameOf } from '../mcp/http-headers.js';
import { readModernMeta } from '../mcp/methods.js';
import { META_KEYS } from '../mcp/schemas.js';
import { LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS, protocolEra } from '../mcp/versions.js';
import type { McpServer, McpSession } from '../server/mcp-server.js';
import { HttpRejection, HttpTransportErrorCode, writeHttpRejection } from './http-rejection.js';
import { accepts, header, readBody } from './http-request.js';
import { type LegacySession, type LegacySessionCloseReason, LegacySessions } from './legacy-sessions.js';
import {
  createRequestGate,
  REQUEST_GATE_OPTION_KEYS,
  type RequestGate,
  type RequestGateOptions,
} from './request-gate.js';
import { SSE_HEADERS, SSE_KEEP_ALIVE, sseEvent } from './sse.js';

export interface McpHttpHandlerOptions extends RequestGateOptions {
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
    reason: LegacySessionCloseReason;
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
  /**
   * The handler's request gate (the checks `admit` runs), for routes without a `ServerResponse`, like a
   * WebSocket upgrade (answer its refusal with `writeUpgradeRejection`). Refusals it returns are reported
   * as `request-rejected` too.
   */
  readonly gate: RequestGate;
  readonly sessionCount: number;
  /** Requests being handled right now. */
  readonly inFlight: number;
  on<E extends keyof McpHttpEvents>(event: E, listener: (payload: McpHttpEvents[E]) => void): Disposable;
  /** Refuses new requests (503), ends open streams and sessions. */
  close(): Promise<void>;
}

const SUPPORTED_LEGACY: readonly string[] = LEGACY_PROTOCOL_VERSIONS;

const HANDLER_OPTION_KEYS = {
  ...REQUEST_GATE_OPTION_KEYS,
  server: true,
  path: true,
  maxBodyBytes: true,
  maxSessions: true,
  sessionIdleMs: true,
  maxStreamsPerClient: true,
  heartbeatMs: true,
} as const satisfies OptionKeys<McpHttpHandlerOptions>;

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
  rejectUnknownOptions('createMcpHttpHandler', options, HANDLER_OPTION_KEYS, ProtocolError);
  return new StreamableHttpHandler(options);
}

class StreamableHttpHandler implements McpHttpHandler {
  readonly #server: McpServer;
  readonly #path: string;
  readonly #maxBodyBytes: number;
  readonly #gate: RequestGate;
  readonly #sessions: LegacySessions;
  readonly #events = new Listeners<McpHttpEvents>();
  readonly #heartbeat: ReturnType<typeof setInterval>;
  readonly #openResponses = new Set<ServerResponse>();
  readonly gate: RequestGate;
  #inFlight = 0;
  #closed = false;

  constructor(options: McpHttpHandlerOptions) {
    this.#server = options.server;
    this.#path = options.path ?? '/mcp';
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#gate = createRequestGate(
      Object.fromEntries(
        Object.entries(options).filter(([key]) => Object.hasOwn(REQUEST_GATE_OPTION_KEYS, key)),
      ),
    );
    this.gate = {
      requiresToken: this.#gate.requiresToken,
      clientKey: (request) => this.#gate.clientKey(request),
      check: (request, checkOptions) => {
        const rejection = this.#gate.check(request, checkOptions);
        if (rejection) this.#emitRejected(rejection);
        return rejection;
      },
    };
    this.#sessions = new LegacySessions({
      maxSessions: options.maxSessions ?? 1000,
      idleMs: options.sessionIdleMs ?? 30 * 60_000,
      maxStreamsPerClient: options.maxStreamsPerClient ?? 16,
      onClosed: (entry, reason) =>
        this.#events.emit('session-closed', { sessionId: entry.id, sessions: this.#sessions.size, reason }),
    });
    this.#heartbeat = setInterval(() => {
      for (const response of this.#openResponses) response.write(SSE_KEEP_ALIVE);
    }, options.heartbeatMs ?? 15_000);
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
    const rejection = this.#gate.check(request, options);
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
          new HttpRejection(503, MimoErrorCode.SHUTTING_DOWN, 'The server is shutting down', null, {
            'Retry-After': '5',
          }),
        );
        return true;
      }
      const gate = this.#gate.check(request);
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
            new HttpRejection(
              405,
              HttpTransportErrorCode.BAD_REQUEST,
              `Method not allowed: ${request.method}`,
              null,
              {
                Allow: 'GET, POST, DELETE',
              },
            ),
          );
      }
    } catch (error) {
      if (error instanceof HttpRejection) this.#reject(response, error);
      else if (!response.headersSent) {
        this.#reject(response, new HttpRejection(500, JsonRpcErrorCode.INTERNAL_ERROR, 'Internal error'));
      } else response.end();
    } finally {
      this.#inFlight--;
    }
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const response of this.#openResponses) response.end();
    this.#openResponses.clear();
    await this.#sessions.close();
  }

  #emitRejected(rejection: HttpRejection): void {
    this.#events.emit('request-rejected', {
      status: rejection.status,
      code: rejection.code,
      reason: rejection.message,
    });
  }

  #reject(response: ServerResponse, rejection: HttpRejection): void {
    this.#emitRejected(rejection);
    writeHttpRejection(response, rejection);
  }

  #info(request: IncomingMessage, sessionId: string | undefined): McpHttpRequestInfo {
    return {
      transport: 'http',
      remoteAddress: request.socket.remoteAddress,
      authenticated: this.#gate.requiresToken,
      sessionId,
    };
  }

  async #post(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const accept = header(request, 'accept');
    if (!accepts(accept, 'application/json') || !accepts(accept, 'text/event-stream')) {
      throw new HttpRejection(
        406,
        HttpTransportErrorCode.BAD_REQUEST,
        'Not Acceptable: Accept must list application/json and text/event-stream',
      );
    }
    const contentType = header(request, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') {
      throw new HttpRejection(
        415,
        HttpTransportErrorCode.BAD_REQUEST,
        'Unsupported Media Type: Content-Type must be application/json',
      );
    }
    const text = await readBody(request, this.#maxBodyBytes);
    let body: unknown;
    try {
      body = parseJson(text);
    } catch (error) {
      throw new HttpRejection(400, JsonRpcErrorCode.PARSE_ERROR, `Parse error: ${(error as Error).message}`);
    }

    const versionHeader = header(request, McpHttpHeader.PROTOCOL_VERSION);
    const headerIsModern = protocolEra(versionHeader) === 'modern';
    const single = isRecord(body) ? body : undefined;
    const params = single?.params;
    const claim =
      isRecord(params) && isRecord(params._meta) ? params._meta[META_KEYS.PROTOCOL_VERSION] : undefined;

    if (Array.isArray(body)) {
      if (body.length === 0) {
        throw new HttpRejection(
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
        throw new HttpRejection(
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
      throw new HttpRejection(
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
      throw new HttpRejection(
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
      throw new HttpRejection(
        400,
        JsonRpcErrorCode.INVALID_REQUEST,
        'JSON-RPC responses cannot be posted to a 2026-07-28 endpoint',
        id,
      );
    }
    const isRequest = id !== null;
    const mismatch = (message: string) =>
      new HttpRejection(400, JsonRpcErrorCode.HEADER_MISMATCH, `Header mismatch: ${message}`, id);
    const params = body.params;
    if (isRequest) {
      const read = readModernMeta(params, MODERN_PROTOCOL_VERSIONS);
      if (!read.ok)
        throw new HttpRejection(400, read.error.code, read.error.message, id, {}, read.error.data);
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
        throw new HttpRejection(
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
      throw new HttpRejection(
        400,
        HttpTransportErrorCode.BAD_REQUEST,
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
    this.#sessions.reserve(body.id as RequestId);
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
      this.#sessions.add(entry);
      this.#events.emit('session-created', { sessionId: id, sessions: this.#sessions.size });
    } else {
      response.removeHeader('Mcp-Session-Id');
      await session.close();
    }
    this.#writeReply(response, reply, false);
  }

  #sessionOf(request: IncomingMessage): LegacySession {
    return this.#sessions.lookup(header(request, McpHttpHeader.SESSION_ID));
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
        response.writeHead(200, SSE_HEADERS);
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
      throw new HttpRejection(
        406,
        HttpTransportErrorCode.BAD_REQUEST,
        'Not Acceptable: Accept must list text/event-stream',
      );
    }
    if (
      header(request, McpHttpHeader.SESSION_ID) === undefined &&
      protocolEra(header(request, McpHttpHeader.PROTOCOL_VERSION)) === 'modern'
    ) {
      throw new HttpRejection(
        405,
        HttpTransportErrorCode.BAD_REQUEST,
        'Method not allowed: 2026-07-28 has no GET stream; use subscriptions/listen',
        null,
        { Allow: 'POST' },
      );
    }
    const entry = this.#sessionOf(request);
    this.#sessions.attachStream(entry, this.#gate.clientKey(request), response);
    response.writeHead(200, { ...SSE_HEADERS, 'Mcp-Session-Id': entry.id });
    response.flushHeaders();
    this.#openResponses.add(response);
    response.on('close', () => this.#openResponses.delete(response));
  }

  async #delete(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const entry = this.#sessionOf(request);
    await this.#sessions.end(entry, 'deleted');
    response.writeHead(200).end();
  }
}
