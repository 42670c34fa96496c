import { type Disposable, isRecord, Listeners } from '@mimo-mcp/core';
import {
  JsonRpcEndpoint,
  type JsonRpcEndpointOptions,
  type Progress,
  type RequestContext,
} from '../endpoint/endpoint.js';
import type { Transport } from '../endpoint/transport.js';
import { JsonRpcError, JsonRpcErrorCode } from '../errors.js';
import { type JsonRpcMessage, type RequestId, requestIdKey } from '../jsonrpc/messages.js';
import { readModernMeta } from '../mcp/methods.js';
import type {
  CallToolResult,
  ClientCapabilities,
  GetPromptResult,
  Implementation,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  ServerCapabilities,
  SubscriptionFilter,
  Tool,
} from '../mcp/schemas.js';
import { META_KEYS } from '../mcp/schemas.js';
import {
  LEGACY_PROTOCOL_VERSIONS,
  MODERN_PROTOCOL_VERSIONS,
  negotiateInitializeVersion,
  type ProtocolEra,
} from '../mcp/versions.js';

/** Who is asking, for one request. */
export interface RequestScope {
  era: ProtocolEra;
  /** The negotiated (legacy) or per-request (modern) protocol version; `undefined` before `initialize`. */
  protocolVersion: string | undefined;
  clientInfo: Implementation | undefined;
  clientCapabilities: ClientCapabilities | undefined;
  /** Whatever the transport layer passed (e.g. HTTP auth), else undefined. */
  info: unknown;
  signal: AbortSignal;
  requestId: RequestId;
  meta: Record<string, unknown> | undefined;
}

export interface ToolCallScope extends RequestScope {
  /** Sends `notifications/progress` if the caller asked for progress; otherwise does nothing. */
  sendProgress(progress: Progress): Promise<void>;
}

/** Where a server's tools come from: a fixed set, or a changing one (a gateway). */
export interface ToolProvider {
  list(scope: RequestScope): readonly Tool[] | Promise<readonly Tool[]>;
  /**
   * Runs a tool. Throw a {@link JsonRpcError} for protocol errors (unknown tool: `-32602`); any other thrown
   * error becomes an `isError: true` result carrying its message, as the specification asks for tool failures.
   */
  call(name: string, args: Record<string, unknown>, scope: ToolCallScope): Promise<CallToolResult>;
}

export interface ResourceProvider {
  list(scope: RequestScope): readonly Resource[] | Promise<readonly Resource[]>;
  templates?(scope: RequestScope): readonly ResourceTemplate[] | Promise<readonly ResourceTemplate[]>;
  /** Throw `JsonRpcError(-32002)` for an unknown URI (sent as `-32602` to modern clients). */
  read(uri: string, scope: RequestScope): Promise<ReadResourceResult>;
}

export interface PromptProvider {
  list(scope: RequestScope): readonly Prompt[] | Promise<readonly Prompt[]>;
  get(name: string, args: Record<string, string>, scope: RequestScope): Promise<GetPromptResult>;
}

export interface McpServerOptions {
  serverInfo: Implementation;
  instructions?: string;
  tools?: ToolProvider;
  resources?: ResourceProvider;
  prompts?: PromptProvider;
  /** Items per page of `tools/list`, `resources/list`, `prompts/list`. @default 100 */
  pageSize?: number;
  /** Options of each session's JSON-RPC endpoint (handler timeout, concurrency). */
  endpoint?: JsonRpcEndpointOptions;
}

export interface McpServerEvents extends Record<string, unknown> {
  /** A legacy client finished `initialize`, or a modern client sent its first request. */
  'client-connected': { era: ProtocolEra; protocolVersion: string; clientInfo: Implementation | undefined };
  /** Every answered request, for logs and metrics. */
  request: { method: string; durationMs: number; error: JsonRpcError | undefined; era: ProtocolEra };
  /** A session's transport closed. */
  'session-closed': { sessions: number };
}

const RESOURCE_NOT_FOUND = -32002;

function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

function decodeCursor(cursor: unknown): number {
  if (cursor === undefined) return 0;
  if (typeof cursor !== 'string')
    throw new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, 'cursor must be a string');
  const text = Buffer.from(cursor, 'base64url').toString();
  const offset = /^o:(\d+)$/.exec(text)?.[1];
  if (offset === undefined) throw new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, 'Invalid cursor');
  return Number(offset);
}

/**
 * One client connection: over a transport (stdio), or message by message (`handle`, for HTTP). It serves
 * both eras: a legacy client's `initialize` pins the session to the negotiated version; a modern request
 * is recognised by its `_meta` envelope and validated per request (`-32602`, `-32022`).
 */
export class McpSession {
  readonly endpoint: JsonRpcEndpoint;
  readonly #server: McpServer;
  #legacy:
    | { version: string; clientInfo: Implementation | undefined; capabilities: ClientCapabilities }
    | undefined;
  #announcedModern = false;
  readonly #listens = new Map<
    string,
    { requestId: RequestId; filter: SubscriptionFilter; send: RequestContext['sendNotification'] }
  >();

  /** @internal use {@link McpServer.connect} or {@link McpServer.createSession} */
  constructor(server: McpServer, options: JsonRpcEndpointOptions) {
    this.#server = server;
    this.endpoint = new JsonRpcEndpoint({
      ...options,
      allowBatch: () => this.#legacy?.version === '2025-03-26',
    });
    this.#install();
  }

  /** The legacy session's negotiated version, once `initialize` happened. */
  get legacyVersion(): string | undefined {
    return this.#legacy?.version;
  }

  /** Handles one incoming value (an HTTP body); responses go to `sink`. */
  handle(value: unknown, options: { sink: (message: JsonRpcMessage) => Promise<void>; info?: unknown }) {
    return this.endpoint.handle(value, options);
  }

  /** Sends a list-changed notification where it is due: to a legacy client, or on modern listen streams. */
  async notifyListChanged(kind: 'tools' | 'resources' | 'prompts'): Promise<void> {
    const method = `notifications/${kind}/list_changed`;
    const key = `${kind}ListChanged` as 'toolsListChanged' | 'resourcesListChanged' | 'promptsListChanged';
    if (this.#legacy) await this.endpoint.notify(method).catch(() => {});
    for (const listen of this.#listens.values()) {
      if (!listen.filter[key]) continue;
      await listen.send(method, { _meta: { [META_KEYS.SUBSCRIPTION_ID]: listen.requestId } }).catch(() => {});
    }
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }

  #scope(context: RequestContext, params: unknown): RequestScope {
    const meta = isRecord(params) && isRecord(params._meta) ? params._meta : undefined;
    const version = meta?.[META_KEYS.PROTOCOL_VERSION];
    if (typeof version === 'string') {
      const parsed = readModernMeta(params, MODERN_PROTOCOL_VERSIONS);
      if (!parsed.ok) throw parsed.error;
      if (!this.#announcedModern) {
        this.#announcedModern = true;
        this.#server.emit('client-connected', {
          era: 'modern',
          protocolVersion: parsed.context.protocolVersion,
          clientInfo: parsed.context.clientInfo,
        });
      }
      return {
        era: 'modern',
        protocolVersion: parsed.context.protocolVersion,
        clientInfo: parsed.context.clientInfo,
        clientCapabilities: parsed.context.clientCapabilities,
        info: context.info,
        signal: context.signal,
        requestId: context.requestId,
        meta,
      };
    }
    return {
      era: 'legacy',
      protocolVersion: this.#legacy?.version,
      clientInfo: this.#legacy?.clientInfo,
      clientCapabilities: this.#legacy?.capabilities,
      info: context.info,
      signal: context.signal,
      requestId: context.requestId,
      meta,
    };
  }

  /** Registers a handler that gets a scope, times itself, and shapes results for the caller's era. */
  #on(
    method: string,
    handler: (params: Record<string, unknown>, scope: RequestScope, context: RequestContext) => unknown,
  ) {
    this.endpoint.setRequestHandler(method, async (params, context) => {
      const started = performance.now();
      let era: ProtocolEra = 'legacy';
      try {
        const scope = this.#scope(context, params);
        era = scope.era;
        const result = await handler(isRecord(params) ? params : {}, scope, context);
        this.#server.emit('request', {
          method,
          durationMs: performance.now() - started,
          error: undefined,
          era,
        });
        return era === 'modern' && isRecord(result) ? { resultType: 'complete', ...result } : result;
      } catch (error) {
        let wire = JsonRpcError.isInstance(error)
          ? error
          : new JsonRpcError(
              JsonRpcErrorCode.INTERNAL_ERROR,
              `Internal error: ${(error as Error)?.message ?? error}`,
            );
        // 2026-07-28 retired -32002: an unknown resource is an invalid parameter there.
        if (era === 'modern' && wire.code === RESOURCE_NOT_FOUND) {
          wire = new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, wire.message, wire.data);
        }
        this.#server.emit('request', { method, durationMs: performance.now() - started, error: wire, era });
        throw wire;
      }
    });
  }

  #install(): void {
    const server = this.#server;
    const options = server.options;
    const capabilities = server.capabilities;

    this.#on('initialize', (params) => {
      const requested = params.protocolVersion;
      const version = negotiateInitializeVersion(requested, LEGACY_PROTOCOL_VERSIONS);
      const clientInfo = isRecord(params.clientInfo) ? (params.clientInfo as Implementation) : undefined;
      this.#legacy = {
        version,
        clientInfo,
        capabilities: isRecord(params.capabilities) ? (params.capabilities as ClientCapabilities) : {},
      };
      server.emit('client-connected', { era: 'legacy', protocolVersion: version, clientInfo });
      return {
        protocolVersion: version,
        capabilities,
        serverInfo: options.serverInfo,
        ...(options.instructions ? { instructions: options.instructions } : {}),
      };
    });
    this.endpoint.setNotificationHandler('notifications/initialized', () => {});
    this.#on('ping', () => ({}));
    this.#on('logging/setLevel', () => ({}));
    this.#on('server/discover', (_params, scope) => {
      if (scope.era !== 'modern') {
        throw new JsonRpcError(
          JsonRpcErrorCode.INVALID_PARAMS,
          'server/discover needs the 2026-07-28 _meta envelope',
        );
      }
      return {
        supportedVersions: [...MODERN_PROTOCOL_VERSIONS],
        capabilities,
        ...(options.instructions ? { instructions: options.instructions } : {}),
        ttlMs: 0,
        cacheScope: 'private',
        _meta: { [META_KEYS.SERVER_INFO]: options.serverInfo },
      };
    });
    this.#on('subscriptions/listen', async (params, scope, context) => {
      if (scope.era !== 'modern') {
        throw new JsonRpcError(
          JsonRpcErrorCode.METHOD_NOT_FOUND,
          'subscriptions/listen exists only in 2026-07-28',
        );
      }
      const wanted = isRecord(params.notifications) ? (params.notifications as SubscriptionFilter) : {};
      // Acknowledge only what this server can send.
      const filter: SubscriptionFilter = {
        ...(wanted.toolsListChanged && options.tools ? { toolsListChanged: true } : {}),
        ...(wanted.resourcesListChanged && options.resources ? { resourcesListChanged: true } : {}),
        ...(wanted.promptsListChanged && options.prompts ? { promptsListChanged: true } : {}),
      };
      const key = requestIdKey(context.requestId);
      await context.sendNotification('notifications/subscriptions/acknowledged', {
        notifications: filter,
        _meta: { [META_KEYS.SUBSCRIPTION_ID]: context.requestId },
      });
      this.#listens.set(key, { requestId: context.requestId, filter, send: context.sendNotification });
      // The stream stays open until the client cancels it or the connection closes.
      await new Promise<void>((resolve) => {
        if (context.signal.aborted) resolve();
        else context.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      this.#listens.delete(key);
      return {};
    });

    const page = async <T>(items: readonly T[] | Promise<readonly T[]>, cursor: unknown, key: string) => {
      const all = await items;
      const start = decodeCursor(cursor);
      const size = options.pageSize ?? 100;
      const slice = all.slice(start, start + size);
      return {
        [key]: slice,
        ...(start + size < all.length ? { nextCursor: encodeCursor(start + size) } : {}),
      };
    };

    // 2026-07-28 requires caching hints on list results and resources/read; nothing here is cacheable.
    const cacheable = <T extends object>(scope: RequestScope, result: T) =>
      scope.era === 'modern' ? { ...result, ttlMs: 0, cacheScope: 'private' } : result;

    const tools = options.tools;
    if (tools) {
      this.#on('tools/list', async (params, scope) =>
        cacheable(scope, await page(tools.list(scope), params.cursor, 'tools')),
      );
      this.#on('tools/call', async (params, scope, context) => {
        const name = params.name;
        if (typeof name !== 'string')
          throw new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, 'tools/call needs params.name');
        const args = params.arguments === undefined ? {} : params.arguments;
        if (!isRecord(args))
          throw new JsonRpcError(
            JsonRpcErrorCode.INVALID_PARAMS,
            'tools/call params.arguments must be an object',
          );
        try {
          return await tools.call(name, args, {
            ...scope,
            sendProgress: (progress) => context.sendProgress(progress),
          });
        } catch (error) {
          if (JsonRpcError.isInstance(error)) throw error;
          return {
            content: [{ type: 'text', text: (error as Error)?.message ?? String(error) }],
            isError: true,
          };
        }
      });
    }
    const resources = options.resources;
    if (resources) {
      this.#on('resources/list', async (params, scope) =>
        cacheable(scope, await page(resources.list(scope), params.cursor, 'resources')),
      );
      this.#on('resources/templates/list', async (params, scope) =>
        cacheable(
          scope,
          await page(
            resources.templates ? resources.templates(scope) : [],
            params.cursor,
            'resourceTemplates',
          ),
        ),
      );
      this.#on('resources/read', async (params, scope) => {
        if (typeof params.uri !== 'string')
          throw new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, 'resources/read needs params.uri');
        return cacheable(scope, await resources.read(params.uri, scope));
      });
    }
    const prompts = options.prompts;
    if (prompts) {
      this.#on('prompts/list', async (params, scope) =>
        cacheable(scope, await page(prompts.list(scope), params.cursor, 'prompts')),
      );
      this.#on('prompts/get', async (params, scope) => {
        if (typeof params.name !== 'string')
          throw new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, 'prompts/get needs params.name');
        const args = isRecord(params.arguments) ? (params.arguments as Record<string, string>) : {};
        return prompts.get(params.name, args, scope);
      });
    }
  }
}

/**
 * A dual-era MCP server: one set of tool, resource and prompt providers served to legacy clients (the
 * `initialize` handshake, 2024-11-05 … 2025-11-25) and to stateless 2026-07-28 clients (`server/discover`,
 * the per-request `_meta` envelope, `subscriptions/listen`), on the same stream. Lists are paginated; a
 * tool's failure becomes an `isError` result; list changes reach every session in its own era's way.
 *
 * @example
 * const server = new McpServer({ serverInfo: { name: 'demo', version: '1.0.0' }, tools: { list: () => tools, call } });
 * await server.connect(createStreamTransport({ readable: process.stdin, writable: process.stdout }));
 */
export class McpServer {
  readonly options: McpServerOptions;
  readonly capabilities: ServerCapabilities;
  readonly #events = new Listeners<McpServerEvents>();
  readonly #sessions = new Set<McpSession>();

  constructor(options: McpServerOptions) {
    this.options = options;
    this.capabilities = {
      ...(options.tools ? { tools: { listChanged: true } } : {}),
      ...(options.resources ? { resources: { listChanged: true } } : {}),
      ...(options.prompts ? { prompts: { listChanged: true } } : {}),
    };
  }

  /** Serves one connection over `transport` (e.g. stdio). */
  async connect(transport: Transport): Promise<McpSession> {
    const session = this.createSession();
    await session.endpoint.connect(transport);
    return session;
  }

  /** A session fed message by message (`session.handle`), for HTTP. Close it when the client is gone. */
  createSession(): McpSession {
    const session = new McpSession(this, this.options.endpoint ?? {});
    this.#sessions.add(session);
    session.endpoint.on('close', () => {
      if (this.#sessions.delete(session))
        this.#events.emit('session-closed', { sessions: this.#sessions.size });
    });
    return session;
  }

  /** Tells every session that the tools (or resources, prompts) changed. */
  async notifyListChanged(kind: 'tools' | 'resources' | 'prompts'): Promise<void> {
    await Promise.all([...this.#sessions].map((session) => session.notifyListChanged(kind)));
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  on<E extends keyof McpServerEvents>(event: E, listener: (payload: McpServerEvents[E]) => void): Disposable {
    return this.#events.on(event, listener);
  }

  /** @internal */
  emit<E extends keyof McpServerEvents>(event: E, payload: McpServerEvents[E]): void {
    this.#events.emit(event, payload);
  }

  /** Closes every session. */
  async close(): Promise<void> {
    await Promise.all([...this.#sessions].map((session) => session.close()));
    this.#sessions.clear();
  }
}
