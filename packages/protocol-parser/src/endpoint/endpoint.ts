import {
  type Disposable,
  formatIssues,
  isRecord,
  Listeners,
  type OptionKeys,
  rejectUnknownOptions,
} from '@mimo-mcp/core';
import type { z } from 'zod';
import { JsonRpcError, JsonRpcErrorCode, MimoErrorCode, ProtocolError } from '../errors.js';
import {
  classifyMessage,
  errorResponse,
  invalidRequestResponse,
  JSONRPC_VERSION,
  type JsonRpcErrorResponse,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcParams,
  type JsonRpcRequest,
  type JsonRpcResponse,
  parseErrorResponse,
  type RequestId,
  requestIdKey,
  successResponse,
} from '../jsonrpc/messages.js';
import type { Transport } from './transport.js';

/** Progress reported for a request (MCP basic/utilities/progress). */
export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

/** What a request handler receives besides the params. */
export interface RequestContext {
  /** The id of the request being handled. */
  requestId: RequestId;
  method: string;
  /**
   * Aborted when the peer cancels the request (`notifications/cancelled`), the handler times out, or
   * the endpoint closes. After that, the handler's result is discarded and no response is sent.
   */
  signal: AbortSignal;
  /** `params._meta`, if any. */
  meta: Record<string, unknown> | undefined;
  /** Whatever the caller of {@link JsonRpcEndpoint.handle} passed as `info` (e.g. HTTP auth), else undefined. */
  info: unknown;
  /** Sends a notification related to this request (on HTTP it travels on this request's stream). */
  sendNotification(method: string, params?: Record<string, unknown>): Promise<void>;
  /** Sends `notifications/progress` if the request asked for progress (`_meta.progressToken`); else no-op. */
  sendProgress(progress: Progress): Promise<void>;
}

/** Handles one request: returns the result, or throws (a {@link JsonRpcError} keeps its code). */
export type RequestHandler = (params: unknown, context: RequestContext) => unknown | Promise<unknown>;
/** Handles one notification. Errors are reported as `handler-error` events, never sent. */
export type NotificationHandler = (params: unknown, context: { info: unknown }) => void | Promise<void>;
/** Handles a request for which no specific handler exists (e.g. a proxy). */
export type FallbackRequestHandler = (
  method: string,
  params: unknown,
  context: RequestContext,
) => unknown | Promise<unknown>;

export interface RequestOptions {
  /**
   * Give up after this long without a response (then send `notifications/cancelled`). `Infinity` arms no timer:
   * the caller bounds the request with `signal` (one deadline for a call that has its own).
   * @default endpoint's requestTimeoutMs
   */
  timeoutMs?: number;
  /** Abort the request; rejects with `ABORTED` and sends `notifications/cancelled`. */
  signal?: AbortSignal;
  /** Receives `notifications/progress` for this request; asks the peer for progress (`_meta.progressToken`). */
  onProgress?: (progress: Progress) => void;
  /** Restart the timeout whenever progress arrives (bounded by `maxTotalTimeoutMs`). @default false */
  resetTimeoutOnProgress?: boolean;
  /** Absolute upper bound, even with progress resets (MCP lifecycle §Timeouts). @default none */
  maxTotalTimeoutMs?: number;
  /** Extra `_meta` members merged into `params._meta`. */
  meta?: Record<string, unknown>;
  /** Validate the result with this schema; a mismatch rejects with `INVALID_MESSAGE`. */
  resultSchema?: z.ZodType;
}

export interface HandleOptions {
  /**
   * Where notifications sent by handlers during this call go (progress, logs). Defaults to the connected
   * transport; an HTTP server passes the request's own response stream.
   */
  sink?: (message: JsonRpcMessage) => Promise<void>;
  /** Opaque data made available to handlers as `context.info`. */
  info?: unknown;
}

export interface JsonRpcEndpointOptions {
  /** Default timeout of outgoing requests, in ms. @default 60_000 (the official SDK's default) */
  requestTimeoutMs?: number;
  /**
   * Timeout for incoming request handlers, in ms: when it passes the handler's signal aborts and the peer
   * gets `REQUEST_TIMEOUT` (-32011). @default undefined (no limit)
   */
  handlerTimeoutMs?: number;
  /** Maximum incoming requests handled at once; beyond it the peer gets `SERVER_BUSY` (-32012). @default 1_000 */
  maxConcurrentRequests?: number;
  /**
   * Whether an incoming JSON array is processed as a batch. Asked per message, because it depends on the
   * negotiated protocol version (see `supportsBatching`). When false the peer gets `-32600`. @default () => false
   */
  allowBatch?: () => boolean;
  /**
   * Whether a handler's unexpected error message is sent to the peer (`-32603 Internal error: <message>`).
   * When false only "Internal error" is sent. @default true
   */
  exposeInternalErrors?: boolean;
  /**
   * Whether a frame that cannot be decoded (`-32700`, or `-32010` when too large) or a value that is not a
   * JSON-RPC message (`-32600`) is answered. A client talking to a child process over stdio sets `false`: a
   * child that logs to stdout would answer our answer with another line, and the two would loop for ever.
   * Either way the endpoint emits `frame-invalid` / `message-invalid`. @default true
   */
  answerMalformed?: boolean;
}

/** Events of a {@link JsonRpcEndpoint}. */
export interface JsonRpcEndpointEvents extends Record<string, unknown> {
  /** A response arrived for a request that already timed out, was aborted, or was never sent. */
  'response-unmatched': { id: RequestId | null };
  /** An incoming value was not a valid JSON-RPC message (it was answered with -32600 where allowed). */
  'message-invalid': { id: RequestId | null; reason: string };
  /** A frame could not be decoded (answered with -32700, or -32010 when too large). */
  'frame-invalid': { error: ProtocolError };
  /** A handler failed unexpectedly, or a notification handler threw. */
  'handler-error': { method: string; error: unknown };
  /** Sending failed (the peer is gone). */
  'send-error': { error: unknown };
  /** The endpoint closed. */
  close: { reason: 'closed' | 'transport-closed' };
}

interface PendingRequest {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onProgress: ((progress: Progress) => void) | undefined;
  resetTimeoutOnProgress: boolean;
  timeoutMs: number;
  startedAt: number;
  maxTotalTimeoutMs: number | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  resultSchema: z.ZodType | undefined;
  cleanup: () => void;
}

interface InFlight {
  controller: AbortController;
  /** Why the handler's signal was aborted; decides whether a response is still sent. */
  abortedBy: 'cancel' | 'timeout' | 'close' | undefined;
}

const ENDPOINT_OPTION_KEYS = {
  requestTimeoutMs: true,
  handlerTimeoutMs: true,
  maxConcurrentRequests: true,
  allowBatch: true,
  exposeInternalErrors: true,
  answerMalformed: true,
} as const satisfies OptionKeys<JsonRpcEndpointOptions>;

/**
 * A transport-agnostic JSON-RPC 2.0 peer, used by both Mimo's client and its server: it generates ids,
 * correlates responses to requests (many in flight at once), times requests out and honours
 * `AbortSignal` (sending `notifications/cancelled`), routes progress, drops late responses, and answers
 * incoming requests: `-32601` for unknown methods, `-32602` when params fail the handler's schema, and
 * handler errors turned into wire errors. Notifications never get a reply.
 *
 * It can run over a {@link Transport} (`connect`), or message by message (`handle`, e.g. one HTTP POST).
 *
 * @example
 * const endpoint = new JsonRpcEndpoint();
 * endpoint.setRequestHandler('echo', (params) => params);
 * await endpoint.connect(createStreamTransport({ readable: process.stdin, writable: process.stdout }));
 */
export class JsonRpcEndpoint {
  readonly #options: Required<Omit<JsonRpcEndpointOptions, 'handlerTimeoutMs'>> & {
    handlerTimeoutMs?: number;
  };
  readonly #events = new Listeners<JsonRpcEndpointEvents>();
  readonly #requestHandlers = new Map<string, { handler: RequestHandler; schema: z.ZodType | undefined }>();
  readonly #notificationHandlers = new Map<string, NotificationHandler>();
  #fallbackHandler: FallbackRequestHandler | undefined;
  readonly #pending = new Map<number, PendingRequest>();
  readonly #inFlight = new Map<string, InFlight>();
  #transport: Transport | undefined;
  #nextId = 1;
  #closed = false;

  constructor(options: JsonRpcEndpointOptions = {}) {
    rejectUnknownOptions('JsonRpcEndpoint', options, ENDPOINT_OPTION_KEYS, ProtocolError);
    const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    const maxConcurrentRequests = options.maxConcurrentRequests ?? 1_000;
    if (!(requestTimeoutMs > 0)) {
      throw new ProtocolError('INVALID_ARGUMENT', `requestTimeoutMs must be > 0, got ${requestTimeoutMs}`);
    }
    if (!Number.isInteger(maxConcurrentRequests) || maxConcurrentRequests < 1) {
      throw new ProtocolError(
        'INVALID_ARGUMENT',
        `maxConcurrentRequests must be a positive integer, got ${maxConcurrentRequests}`,
      );
    }
    this.#options = {
      requestTimeoutMs,
      maxConcurrentRequests,
      allowBatch: options.allowBatch ?? (() => false),
      exposeInternalErrors: options.exposeInternalErrors ?? true,
      answerMalformed: options.answerMalformed ?? true,
      ...(options.handlerTimeoutMs === undefined ? {} : { handlerTimeoutMs: options.handlerTimeoutMs }),
    };
  }

  /** Subscribes to an event; returns a handle that unsubscribes. */
  on<E extends keyof JsonRpcEndpointEvents>(
    event: E,
    listener: (payload: JsonRpcEndpointEvents[E]) => void,
  ): Disposable {
    return this.#events.on(event, listener);
  }

  /** Number of outgoing requests awaiting a response. */
  get pendingRequestCount(): number {
    return this.#pending.size;
  }

  /** Number of incoming requests whose handlers are running. */
  get inFlightRequestCount(): number {
    return this.#inFlight.size;
  }

  /** True once `close()` ran or the transport closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Registers the handler of a request method, optionally with a zod schema for its params: params that
   * fail it are answered with `-32602 Invalid params` naming the problem, and the handler gets the parsed
   * value. Replaces an existing handler for the method.
   */
  setRequestHandler(method: string, handler: RequestHandler, paramsSchema?: z.ZodType): Disposable {
    this.#requestHandlers.set(method, { handler, schema: paramsSchema });
    const dispose = (): void => {
      if (this.#requestHandlers.get(method)?.handler === handler) this.#requestHandlers.delete(method);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  /** Registers the handler of a notification method. Replaces an existing one. */
  setNotificationHandler(method: string, handler: NotificationHandler): Disposable {
    this.#notificationHandlers.set(method, handler);
    const dispose = (): void => {
      if (this.#notificationHandlers.get(method) === handler) this.#notificationHandlers.delete(method);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  /** Handles requests whose method has no handler (instead of answering -32601). */
  setFallbackRequestHandler(handler: FallbackRequestHandler | undefined): void {
    this.#fallbackHandler = handler;
  }

  /** Attaches a transport and starts it. Incoming messages are handled and answered through it. */
  async connect(transport: Transport): Promise<void> {
    if (this.#closed) throw new ProtocolError('CLOSED', 'The endpoint is closed');
    if (this.#transport) throw new ProtocolError('INVALID_ARGUMENT', 'The endpoint is already connected');
    this.#transport = transport;
    const sink = (message: JsonRpcMessage): Promise<void> => this.#send(message);
    transport.onmessage = (value) => {
      void this.handle(value, { sink }).then(
        (reply) => (reply === undefined ? undefined : this.#sendRaw(reply)),
        (error: unknown) => this.#events.emit('handler-error', { method: '(dispatch)', error }),
      );
    };
    transport.onframeerror = (error) => {
      const reply = this.frameErrorResponse(error);
      if (!this.#options.answerMalformed) return;
      const sent = this.#sendRaw(reply);
      // An oversized request whose id could not be read gets an answer it cannot match: its sender would
      // wait for its own timeout (60 s in the SDK). Closing fails its pending requests at once.
      if (error.code === 'MESSAGE_TOO_LARGE' && reply.id === null) void sent.then(() => this.close());
    };
    transport.onerror = (error) => this.#events.emit('send-error', { error });
    transport.onclose = () => this.#shutdown('transport-closed');
    await transport.start();
  }

  /**
   * The reply to a frame that could not be decoded: `-32700 Parse error` (id null) for invalid JSON or
   * UTF-8, `MESSAGE_TOO_LARGE` (-32010, with `data.limitBytes`) for an oversized frame, with the request's
   * id when the decoder read one from the frame's start (`error.data.requestId`), else id null. Also emits
   * `frame-invalid`. Over a connected transport, an oversized frame answered with id null also closes the
   * connection (its sender has no other way to learn which request failed).
   */
  frameErrorResponse(error: ProtocolError): JsonRpcErrorResponse {
    this.#events.emit('frame-invalid', { error });
    if (error.code === 'MESSAGE_TOO_LARGE') {
      const { requestId, ...data } = error.data ?? {};
      const id = typeof requestId === 'string' || typeof requestId === 'number' ? requestId : null;
      return errorResponse(id, { code: MimoErrorCode.MESSAGE_TOO_LARGE, message: error.message, data });
    }
    return parseErrorResponse(error.message);
  }

  /**
   * Processes one decoded value (a message or a batch array) and returns the reply to send back, if any:
   * a response for a request, an array for a batch with requests, `undefined` for notifications and
   * responses. Used by `connect`, and directly by transports that answer per message (HTTP).
   */
  async handle(
    value: unknown,
    options: HandleOptions = {},
  ): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    const sink = options.sink ?? ((message: JsonRpcMessage) => this.#send(message));
    if (Array.isArray(value)) return this.#handleBatch(value, sink, options.info);
    return this.#handleOne(value, sink, options.info, false);
  }

  async #handleBatch(
    values: unknown[],
    sink: (message: JsonRpcMessage) => Promise<void>,
    info: unknown,
  ): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    if (values.length === 0) {
      this.#events.emit('message-invalid', { id: null, reason: 'Empty batch' });
      return invalidRequestResponse(null, 'an empty array is not a valid batch');
    }
    if (!this.#options.allowBatch()) {
      this.#events.emit('message-invalid', { id: null, reason: 'Batch not allowed' });
      return invalidRequestResponse(
        null,
        'JSON-RPC batches are not supported by the negotiated protocol version (only 2025-03-26 allowed them)',
      );
    }
    const replies = await Promise.all(values.map((value) => this.#handleOne(value, sink, info, true)));
    const responses = replies.filter((reply): reply is JsonRpcResponse => reply !== undefined);
    return responses.length > 0 ? responses : undefined;
  }

  async #handleOne(
    value: unknown,
    sink: (message: JsonRpcMessage) => Promise<void>,
    info: unknown,
    inBatch: boolean,
  ): Promise<JsonRpcResponse | undefined> {
    const classified = classifyMessage(value);
    switch (classified.kind) {
      case 'request':
        if (inBatch && classified.message.method === 'initialize') {
          // 2025-03-26 basic/lifecycle: "The initialization request MUST NOT be part of a JSON-RPC batch".
          return invalidRequestResponse(classified.message.id, 'initialize must not be part of a batch');
        }
        return this.#handleRequest(classified.message, sink, info);
      case 'notification':
        this.#handleNotification(classified.message, info);
        return undefined;
      case 'response':
        this.#handleResponse(classified.message);
        return undefined;
      case 'invalid':
        this.#events.emit('message-invalid', { id: classified.id, reason: classified.reason });
        return classified.reply && this.#options.answerMalformed
          ? invalidRequestResponse(classified.id, classified.reason)
          : undefined;
    }
  }

  async #handleRequest(
    request: JsonRpcRequest,
    sink: (message: JsonRpcMessage) => Promise<void>,
    info: unknown,
  ): Promise<JsonRpcResponse | undefined> {
    const { id, method } = request;
    if (this.#closed) {
      return errorResponse(id, { code: MimoErrorCode.SHUTTING_DOWN, message: 'The endpoint is closed' });
    }
    const key = requestIdKey(id);
    if (this.#inFlight.has(key)) {
      return invalidRequestResponse(
        id,
        `request id ${JSON.stringify(id)} is already in use by a request in flight`,
      );
    }
    if (this.#inFlight.size >= this.#options.maxConcurrentRequests) {
      return errorResponse(id, {
        code: MimoErrorCode.SERVER_BUSY,
        message: `Too many requests in flight (limit ${this.#options.maxConcurrentRequests}); retry later`,
        data: { limit: this.#options.maxConcurrentRequests },
      });
    }
    const registered = this.#requestHandlers.get(method);
    if (!registered && !this.#fallbackHandler) {
      return errorResponse(id, {
        code: JsonRpcErrorCode.METHOD_NOT_FOUND,
        message: `Method not found: ${method}`,
      });
    }

    const entry: InFlight = { controller: new AbortController(), abortedBy: undefined };
    this.#inFlight.set(key, entry);
    const params = request.params;
    const meta = isRecord(params) && isRecord(params._meta) ? params._meta : undefined;
    const progressToken = meta?.progressToken;
    const context: RequestContext = {
      requestId: id,
      method,
      signal: entry.controller.signal,
      meta,
      info,
      sendNotification: async (notificationMethod, notificationParams) => {
        if (entry.controller.signal.aborted) return;
        await sink(notification(notificationMethod, notificationParams));
      },
      sendProgress: async (progress) => {
        if (progressToken === undefined || entry.controller.signal.aborted) return;
        await sink(notification('notifications/progress', { progressToken, ...progress }));
      },
    };

    let timer: ReturnType<typeof setTimeout> | undefined;
    const handlerTimeoutMs = this.#options.handlerTimeoutMs;
    try {
      const run = async (): Promise<unknown> => {
        if (registered) {
          let parsed: unknown = params;
          if (registered.schema) {
            const result = registered.schema.safeParse(params ?? {});
            if (!result.success) {
              throw new JsonRpcError(
                JsonRpcErrorCode.INVALID_PARAMS,
                `Invalid params for ${method}: ${summarizeIssues(result.error)}`,
              );
            }
            parsed = result.data;
          }
          return registered.handler(parsed, context);
        }
        return (this.#fallbackHandler as FallbackRequestHandler)(method, params, context);
      };
      const racers: Promise<unknown>[] = [run()];
      if (handlerTimeoutMs !== undefined) {
        racers.push(
          new Promise((_, reject) => {
            timer = setTimeout(() => {
              entry.abortedBy = 'timeout';
              entry.controller.abort(
                new ProtocolError('TIMEOUT', `Handler timed out after ${handlerTimeoutMs} ms`),
              );
              reject(
                new JsonRpcError(
                  MimoErrorCode.REQUEST_TIMEOUT,
                  `Request timed out after ${handlerTimeoutMs} ms`,
                  {
                    timeoutMs: handlerTimeoutMs,
                  },
                ),
              );
            }, handlerTimeoutMs);
            timer.unref?.();
          }),
        );
      }
      const result = await Promise.race(racers);
      if (entry.abortedBy === 'cancel' || entry.abortedBy === 'close') return undefined;
      return successResponse(id, result === undefined ? {} : result);
    } catch (error) {
      // MCP cancellation: "The receiver SHOULD NOT send a response for the cancelled request".
      if (entry.abortedBy === 'cancel' || entry.abortedBy === 'close') return undefined;
      return errorResponse(id, this.#toWireError(method, error));
    } finally {
      if (timer) clearTimeout(timer);
      this.#inFlight.delete(key);
    }
  }

  #toWireError(method: string, error: unknown): JsonRpcError {
    if (JsonRpcError.isInstance(error)) return error;
    this.#events.emit('handler-error', { method, error });
    const message =
      this.#options.exposeInternalErrors && error instanceof Error && error.message
        ? `Internal error: ${error.message}`
        : 'Internal error';
    return new JsonRpcError(JsonRpcErrorCode.INTERNAL_ERROR, message);
  }

  #handleNotification(message: JsonRpcNotification, info: unknown): void {
    const params = message.params;
    if (message.method === 'notifications/cancelled') {
      if (
        isRecord(params) &&
        (typeof params.requestId === 'string' || typeof params.requestId === 'number')
      ) {
        const entry = this.#inFlight.get(requestIdKey(params.requestId));
        // Unknown or finished ids are ignored (cancellation §Error Handling).
        if (entry && !entry.controller.signal.aborted) {
          entry.abortedBy = 'cancel';
          const reason = typeof params.reason === 'string' ? params.reason : 'Cancelled by the peer';
          entry.controller.abort(new ProtocolError('ABORTED', reason));
        }
      }
    } else if (message.method === 'notifications/progress') {
      this.#routeProgress(params);
    }
    const handler = this.#notificationHandlers.get(message.method);
    if (!handler) return;
    try {
      const outcome = handler(params, { info });
      if (outcome instanceof Promise) {
        outcome.catch((error: unknown) =>
          this.#events.emit('handler-error', { method: message.method, error }),
        );
      }
    } catch (error) {
      this.#events.emit('handler-error', { method: message.method, error });
    }
  }

  #routeProgress(params: unknown): void {
    if (!isRecord(params) || typeof params.progressToken !== 'number' || typeof params.progress !== 'number')
      return;
    const pending = this.#pending.get(params.progressToken);
    if (!pending?.onProgress) return;
    const progress: Progress = { progress: params.progress };
    if (typeof params.total === 'number') progress.total = params.total;
    if (typeof params.message === 'string') progress.message = params.message;
    if (pending.resetTimeoutOnProgress) this.#armTimeout(params.progressToken, pending);
    try {
      pending.onProgress(progress);
    } catch (error) {
      this.#events.emit('handler-error', { method: 'notifications/progress', error });
    }
  }

  #handleResponse(response: JsonRpcResponse): void {
    const pending = typeof response.id === 'number' ? this.#pending.get(response.id) : undefined;
    if (!pending) {
      this.#events.emit('response-unmatched', { id: response.id });
      return;
    }
    pending.cleanup();
    if ('error' in response) {
      pending.reject(JsonRpcError.fromWire(response.error));
      return;
    }
    if (pending.resultSchema) {
      const parsed = pending.resultSchema.safeParse(response.result);
      if (!parsed.success) {
        pending.reject(
          new ProtocolError(
            'INVALID_MESSAGE',
            `Invalid result for ${pending.method}: ${summarizeIssues(parsed.error)}`,
            {
              cause: parsed.error,
            },
          ),
        );
        return;
      }
      pending.resolve(parsed.data);
      return;
    }
    pending.resolve(response.result);
  }

  /**
   * Sends a request and resolves with its result, or rejects with the peer's {@link JsonRpcError}, or a
   * local {@link ProtocolError} (`TIMEOUT`, `ABORTED`, `CLOSED`, `NOT_CONNECTED`). On timeout or abort the
   * peer is sent `notifications/cancelled` (except for `initialize`, which must not be cancelled), and a
   * response arriving later is dropped.
   *
   * @example
   * const result = await endpoint.request('tools/list', {}, { timeoutMs: 5_000 });
   */
  request<T = unknown>(method: string, params?: JsonRpcParams, options: RequestOptions = {}): Promise<T> {
    const signal = options.signal;
    if (this.#closed)
      return Promise.reject(new ProtocolError('CLOSED', `Cannot send ${method}: the endpoint is closed`));
    if (!this.#transport) {
      return Promise.reject(
        new ProtocolError('NOT_CONNECTED', `Cannot send ${method}: no transport is connected`),
      );
    }
    if (signal?.aborted) {
      return Promise.reject(
        new ProtocolError('ABORTED', `${method} was aborted before it was sent`, { cause: signal.reason }),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs;
    if (!(timeoutMs > 0)) {
      return Promise.reject(new ProtocolError('INVALID_ARGUMENT', `timeoutMs must be > 0, got ${timeoutMs}`));
    }
    const id = this.#nextId++;
    let finalParams = params;
    if (options.onProgress || options.meta) {
      const base = isRecord(params) ? params : {};
      const baseMeta = isRecord(base._meta) ? base._meta : {};
      finalParams = {
        ...base,
        _meta: { ...baseMeta, ...options.meta, ...(options.onProgress ? { progressToken: id } : {}) },
      };
    }
    const message: JsonRpcRequest =
      finalParams === undefined
        ? { jsonrpc: JSONRPC_VERSION, id, method }
        : { jsonrpc: JSONRPC_VERSION, id, method, params: finalParams };

    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        this.#giveUp(id, new ProtocolError('ABORTED', `${method} was aborted`, { cause: signal?.reason }));
      };
      const pending: PendingRequest = {
        method,
        resolve: resolve as (value: unknown) => void,
        reject,
        onProgress: options.onProgress,
        resetTimeoutOnProgress: options.resetTimeoutOnProgress ?? false,
        timeoutMs,
        startedAt: Date.now(),
        maxTotalTimeoutMs: options.maxTotalTimeoutMs,
        timer: undefined,
        resultSchema: options.resultSchema,
        cleanup: () => {
          if (pending.timer) clearTimeout(pending.timer);
          signal?.removeEventListener('abort', onAbort);
          this.#pending.delete(id);
        },
      };
      this.#pending.set(id, pending);
      this.#armTimeout(id, pending);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#send(message).catch((error: unknown) => {
        if (!this.#pending.has(id)) return;
        pending.cleanup();
        reject(
          ProtocolError.isInstance(error)
            ? error
            : new ProtocolError('CLOSED', `Could not send ${method}: ${(error as Error)?.message ?? error}`, {
                cause: error,
              }),
        );
      });
    });
  }

  #armTimeout(id: number, pending: PendingRequest): void {
    if (pending.timer) clearTimeout(pending.timer);
    if (pending.timeoutMs === Number.POSITIVE_INFINITY && pending.maxTotalTimeoutMs === undefined) return;
    let delay = pending.timeoutMs;
    if (pending.maxTotalTimeoutMs !== undefined) {
      const remaining = pending.maxTotalTimeoutMs - (Date.now() - pending.startedAt);
      delay = Math.max(0, Math.min(delay, remaining));
    }
    pending.timer = setTimeout(() => {
      const elapsed = Date.now() - pending.startedAt;
      this.#giveUp(
        id,
        new ProtocolError('TIMEOUT', `${pending.method} timed out after ${elapsed} ms`, {
          data: { timeoutMs: pending.timeoutMs, maxTotalTimeoutMs: pending.maxTotalTimeoutMs },
        }),
      );
    }, delay);
    pending.timer.unref?.();
  }

  #giveUp(id: number, error: ProtocolError): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    pending.cleanup();
    pending.reject(error);
    // MCP basic/lifecycle §Timeouts: time out, then cancel; `initialize` MUST NOT be cancelled.
    if (pending.method !== 'initialize' && !this.#closed) {
      void this.notify('notifications/cancelled', { requestId: id, reason: error.message }).catch(() => {});
    }
  }

  /** Sends a notification. Rejects with `NOT_CONNECTED`/`CLOSED` if it cannot be sent. */
  async notify(method: string, params?: JsonRpcParams): Promise<void> {
    if (this.#closed) throw new ProtocolError('CLOSED', `Cannot send ${method}: the endpoint is closed`);
    await this.#send(notification(method, params));
  }

  async #send(message: JsonRpcMessage): Promise<void> {
    if (!this.#transport) throw new ProtocolError('NOT_CONNECTED', 'No transport is connected');
    await this.#transport.send(message);
  }

  async #sendRaw(message: JsonRpcMessage | JsonRpcMessage[]): Promise<void> {
    try {
      if (!this.#transport || this.#closed) return;
      await this.#transport.send(message);
    } catch (error) {
      this.#events.emit('send-error', { error });
    }
  }

  /**
   * Closes the endpoint: pending requests reject with `CLOSED`, running handlers are aborted (their
   * responses are not sent), and the transport is closed. Idempotent.
   */
  async close(): Promise<void> {
    const transport = this.#transport;
    this.#shutdown('closed');
    await transport?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #shutdown(reason: 'closed' | 'transport-closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [id, pending] of [...this.#pending]) {
      pending.cleanup();
      pending.reject(
        new ProtocolError('CLOSED', `${pending.method} (id ${id}) failed: the connection closed`),
      );
    }
    for (const entry of this.#inFlight.values()) {
      if (!entry.controller.signal.aborted) {
        entry.abortedBy = 'close';
        entry.controller.abort(new ProtocolError('CLOSED', 'The connection closed'));
      }
    }
    this.#events.emit('close', { reason });
  }
}

function notification(method: string, params?: JsonRpcParams): JsonRpcNotification {
  return params === undefined
    ? { jsonrpc: JSONRPC_VERSION, method }
    : { jsonrpc: JSONRPC_VERSION, method, params };
}

/** Formats zod issues as `path: message; path: message`, capped so a huge payload cannot bloat the error. */
export function summarizeIssues(error: z.ZodError): string {
  const parts = formatIssues(error);
  return error.issues.length > 5 ? `${parts}; and ${error.issues.length - 5} more` : parts;
}
