import { type Disposable, Listeners, type OptionKeys, rejectUnknownOptions } from '@mimo-mcp/core';
import {
  type CallToolResult,
  CallToolResultSchema,
  type ClientCapabilities,
  DiscoverResultSchema,
  type GetPromptResult,
  GetPromptResultSchema,
  type Implementation,
  InitializeResultSchema,
  JsonRpcEndpoint,
  JsonRpcError,
  LATEST_LEGACY_PROTOCOL_VERSION,
  LEGACY_PROTOCOL_VERSIONS,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
  type LoggingMessageNotificationParams,
  META_KEYS,
  MODERN_PROTOCOL_VERSIONS,
  modernRequestMeta,
  type Progress,
  type Prompt,
  type ProtocolEra,
  ProtocolError,
  type ReadResourceResult,
  ReadResourceResultSchema,
  type Resource,
  type ResourceTemplate,
  readResultType,
  type ServerCapabilities,
  selectCommonVersion,
  serverEraFromProbe,
  type Tool,
  type Transport,
} from '@mimo-mcp/protocol-parser';
import type { z } from 'zod';
import { ClientError } from './errors.js';
import { CLIENT_VERSION } from './version.js';

/** How the client picks the protocol era. */
export type VersionNegotiation =
  /** Probe with `server/discover`; fall back to the `initialize` handshake (the specification's dual-era client). */
  | 'auto'
  /** Only the `initialize` handshake (2025-11-25 and older). */
  | 'legacy'
  /** Only the stateless 2026-07-28 protocol. */
  | 'modern';

export interface McpClientOptions {
  /** Sent to servers as `clientInfo`. @default { name: 'mimo', version: <this package's version> } */
  clientInfo?: Implementation;
  /** Capabilities declared to servers. @default {} (no sampling, elicitation or roots) */
  capabilities?: ClientCapabilities;
  /** @default 'auto' */
  versionNegotiation?: VersionNegotiation;
  /** Default timeout of a request. @default 60000 */
  requestTimeoutMs?: number;
  /** How long the `server/discover` probe waits before deciding the server is legacy. @default 5000 */
  probeTimeoutMs?: number;
  /** Timeout of the connection handshake. @default 30000 */
  connectTimeoutMs?: number;
  /** Most pages a list follows before giving up (guards against a server that never ends). @default 1000 */
  maxPages?: number;
}

/** What the server told us about itself. */
export interface ServerDescription {
  era: ProtocolEra;
  protocolVersion: string;
  capabilities: ServerCapabilities;
  serverInfo: Implementation | undefined;
  instructions: string | undefined;
}

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * Give up after this long. `Infinity` arms no timer: `signal` is then the call's only deadline (the gateway
   * passes its timeout policy's signal so). @default the client's requestTimeoutMs
   */
  timeoutMs?: number;
  /** Progress notifications for this call. */
  onProgress?: (progress: Progress) => void;
  /** Restart the timeout when progress arrives (bounded by `maxTotalTimeoutMs`). @default true when onProgress is set */
  resetTimeoutOnProgress?: boolean;
  maxTotalTimeoutMs?: number;
  /** Extra `_meta` members (e.g. `traceparent`). */
  meta?: Record<string, unknown>;
}

export interface McpClientEvents extends Record<string, unknown> {
  'tools-changed': Record<string, never>;
  'prompts-changed': Record<string, never>;
  'resources-changed': Record<string, never>;
  'resource-updated': { uri: string };
  /** A log message from the server (`notifications/message`). */
  log: LoggingMessageNotificationParams;
  /** The connection closed (the server exited or the transport failed), or `close()` was called. */
  close: { reason: 'closed' | 'transport-closed' };
  /**
   * The server sent something that is not a JSON-RPC message: an undecodable line (`frame`: not JSON, bad
   * UTF-8, too large) or a JSON value that is not a valid message (`message`). It is never answered.
   */
  'message-invalid': { kind: 'frame' | 'message'; reason: string };
}

const DEFAULT_CLIENT_INFO: Implementation = { name: 'mimo', version: CLIENT_VERSION };

const OPTION_KEYS = {
  clientInfo: true,
  capabilities: true,
  versionNegotiation: true,
  requestTimeoutMs: true,
  probeTimeoutMs: true,
  connectTimeoutMs: true,
  maxPages: true,
} satisfies OptionKeys<McpClientOptions>;

/** Turns endpoint failures into {@link ClientError}s, keeping the server's code for remote errors. */
export function toClientError(error: unknown, what: string): ClientError {
  if (ClientError.isInstance(error)) return error;
  if (JsonRpcError.isInstance(error)) {
    return new ClientError('REMOTE_ERROR', `${what} failed: ${error.message} (${error.code})`, {
      cause: error,
      remoteCode: error.code,
      ...(error.data !== undefined ? { data: { remote: error.data } } : {}),
    });
  }
  if (ProtocolError.isInstance(error)) {
    const code =
      error.code === 'TIMEOUT'
        ? 'TIMEOUT'
        : error.code === 'ABORTED'
          ? 'ABORTED'
          : error.code === 'CLOSED' || error.code === 'NOT_CONNECTED'
            ? 'NOT_CONNECTED'
            : 'PROTOCOL_VIOLATION';
    return new ClientError(code, `${what} failed: ${error.message}`, { cause: error });
  }
  return new ClientError(
    'PROTOCOL_VIOLATION',
    `${what} failed: ${(error as Error)?.message ?? String(error)}`,
    {
      cause: error,
    },
  );
}

/**
 * An MCP client for both protocol eras over any {@link Transport}. With `versionNegotiation: 'auto'` it
 * probes `server/discover` and falls back to the `initialize` handshake on any answer that does not
 * identify a modern server, as the 2026-07-28 specification describes; modern requests then carry the
 * protocol version, capabilities and client info in `_meta`. Requests are multiplexed by id (many in flight
 * at once), each with its own timeout and signal; aborting or timing out sends `notifications/cancelled`.
 * @throws {ClientError} `INVALID_ARGUMENT` from the constructor for an unknown option (the message names it)
 *
 * @example
 * const client = new McpClient();
 * await client.connect(createStdioTransport(child));
 * const tools = await client.listTools();
 * const result = await client.callTool('echo', { message: 'hi' }, { timeoutMs: 5_000 });
 */
export class McpClient implements AsyncDisposable {
  readonly #options: Required<McpClientOptions>;
  readonly #endpoint: JsonRpcEndpoint;
  readonly #events = new Listeners<McpClientEvents>();
  #server: ServerDescription | undefined;
  #listen: AbortController | undefined;
  #closed = false;

  constructor(options: McpClientOptions = {}) {
    rejectUnknownOptions('new McpClient', options, OPTION_KEYS, ClientError);
    this.#options = {
      clientInfo: options.clientInfo ?? DEFAULT_CLIENT_INFO,
      capabilities: options.capabilities ?? {},
      versionNegotiation: options.versionNegotiation ?? 'auto',
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      probeTimeoutMs: options.probeTimeoutMs ?? 5_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      maxPages: options.maxPages ?? 1000,
    };
    // A skill that logs to stdout must not be answered: it could answer back, and the two would loop.
    this.#endpoint = new JsonRpcEndpoint({
      requestTimeoutMs: this.#options.requestTimeoutMs,
      answerMalformed: false,
    });
    const changed = (event: 'tools-changed' | 'prompts-changed' | 'resources-changed') => () =>
      this.#events.emit(event, {});
    this.#endpoint.setNotificationHandler('notifications/tools/list_changed', changed('tools-changed'));
    this.#endpoint.setNotificationHandler('notifications/prompts/list_changed', changed('prompts-changed'));
    this.#endpoint.setNotificationHandler(
      'notifications/resources/list_changed',
      changed('resources-changed'),
    );
    this.#endpoint.setNotificationHandler('notifications/resources/updated', (params) => {
      const uri = (params as { uri?: unknown } | undefined)?.uri;
      if (typeof uri === 'string') this.#events.emit('resource-updated', { uri });
    });
    this.#endpoint.setNotificationHandler('notifications/message', (params) => {
      this.#events.emit('log', params as LoggingMessageNotificationParams);
    });
    this.#endpoint.on('frame-invalid', ({ error }) =>
      this.#events.emit('message-invalid', { kind: 'frame', reason: error.message }),
    );
    this.#endpoint.on('message-invalid', ({ reason }) =>
      this.#events.emit('message-invalid', { kind: 'message', reason }),
    );
    // Legacy servers may ping their client.
    this.#endpoint.setRequestHandler('ping', () => ({}));
    this.#endpoint.on('close', ({ reason }) => {
      this.#listen?.abort();
      this.#events.emit('close', { reason });
    });
  }

  /** The negotiated server description, once connected. */
  get server(): ServerDescription | undefined {
    return this.#server;
  }

  get connected(): boolean {
    return this.#server !== undefined && !this.#endpoint.closed;
  }

  /** Requests sent and not yet answered. */
  get pendingRequests(): number {
    return this.#endpoint.pendingRequestCount;
  }

  on<E extends keyof McpClientEvents>(event: E, listener: (payload: McpClientEvents[E]) => void): Disposable {
    return this.#events.on(event, listener);
  }

  /**
   * Connects over `transport` and negotiates the protocol era and version.
   *
   * @throws {ClientError} `CONNECT_FAILED`, `UNSUPPORTED_PROTOCOL_VERSION`, `TIMEOUT`, `ABORTED`
   */
  async connect(transport: Transport, options: { signal?: AbortSignal } = {}): Promise<ServerDescription> {
    if (this.#closed) throw new ClientError('CLOSED', 'The client is closed');
    if (this.#server)
      throw new ClientError('INVALID_ARGUMENT', 'The client is already connected; use a new McpClient');
    const signal = AbortSignal.any([
      ...(options.signal ? [options.signal] : []),
      AbortSignal.timeout(this.#options.connectTimeoutMs),
    ]);
    try {
      await this.#endpoint.connect(transport);
      const mode = this.#options.versionNegotiation;
      let description: ServerDescription | undefined;
      if (mode !== 'legacy') description = await this.#discover(signal, mode === 'modern');
      description ??= await this.#initialize(signal);
      this.#server = description;
      if (description.era === 'modern') void this.#listenForChanges(description.capabilities);
      return description;
    } catch (error) {
      await this.#endpoint.close().catch(() => {});
      if (ClientError.isInstance(error)) throw error;
      if (options.signal?.aborted)
        throw new ClientError('ABORTED', 'Connecting was aborted', { cause: error });
      const failure = toClientError(error, 'Connecting');
      throw new ClientError(
        failure.code === 'TIMEOUT' || failure.code === 'ABORTED' ? 'TIMEOUT' : 'CONNECT_FAILED',
        failure.message,
        {
          cause: error,
        },
      );
    }
  }

  /** Probes `server/discover`; undefined means "legacy server" (unless modern was required). */
  async #discover(signal: AbortSignal, required: boolean): Promise<ServerDescription | undefined> {
    let outcome: { result: unknown } | { error: unknown };
    try {
      outcome = {
        result: await this.#endpoint.request('server/discover', undefined, {
          signal,
          timeoutMs: required ? this.#options.connectTimeoutMs : this.#options.probeTimeoutMs,
          meta: modernRequestMeta(
            MODERN_PROTOCOL_VERSIONS[0],
            this.#options.capabilities,
            this.#options.clientInfo,
          ),
        }),
      };
    } catch (error) {
      if (ProtocolError.isInstance(error) && error.code === 'CLOSED' && !signal.aborted) {
        // Some legacy servers exit on any request before `initialize`. The connection is gone; the caller can
        // start the server again and connect with versionNegotiation 'legacy'.
        throw new ClientError(
          'CONNECT_FAILED',
          'The server closed the connection on the server/discover probe (a legacy server that exits on unknown requests); connect again with versionNegotiation: legacy',
          { cause: error, data: { closedDuringProbe: true } },
        );
      }
      if (ProtocolError.isInstance(error) && (error.code === 'CLOSED' || error.code === 'ABORTED'))
        throw error;
      outcome = { error };
    }
    if (serverEraFromProbe(outcome) === 'legacy') {
      if (required) {
        throw new ClientError(
          'UNSUPPORTED_PROTOCOL_VERSION',
          'The server does not speak the 2026-07-28 protocol',
          {
            cause: 'error' in outcome ? outcome.error : undefined,
          },
        );
      }
      return undefined;
    }
    if ('error' in outcome) {
      // A modern error to the probe itself (e.g. -32022 with the versions it supports).
      const supported = (
        JsonRpcError.isInstance(outcome.error)
          ? (outcome.error.data as { supported?: unknown })?.supported
          : undefined
      ) as string[] | undefined;
      throw new ClientError(
        'UNSUPPORTED_PROTOCOL_VERSION',
        `The server refused server/discover${supported ? `; it supports ${supported.join(', ')}` : ''}`,
        { cause: outcome.error },
      );
    }
    const parsed = DiscoverResultSchema.safeParse(outcome.result);
    if (!parsed.success)
      throw new ClientError('PROTOCOL_VIOLATION', 'The server sent an invalid server/discover result');
    const version = selectCommonVersion(parsed.data.supportedVersions, MODERN_PROTOCOL_VERSIONS);
    if (!version) {
      if (
        !required &&
        parsed.data.supportedVersions.some((v) => (LEGACY_PROTOCOL_VERSIONS as readonly string[]).includes(v))
      ) {
        return undefined;
      }
      throw new ClientError(
        'UNSUPPORTED_PROTOCOL_VERSION',
        `No common protocol version: the server supports ${parsed.data.supportedVersions.join(', ')}, this client ${MODERN_PROTOCOL_VERSIONS.join(', ')} and ${LEGACY_PROTOCOL_VERSIONS.join(', ')}`,
      );
    }
    const serverInfo = (parsed.data._meta as Record<string, unknown> | undefined)?.[META_KEYS.SERVER_INFO] as
      | Implementation
      | undefined;
    return {
      era: 'modern',
      protocolVersion: version,
      capabilities: parsed.data.capabilities,
      serverInfo,
      instructions: parsed.data.instructions,
    };
  }

  async #initialize(signal: AbortSignal): Promise<ServerDescription> {
    const result = await this.#endpoint.request(
      'initialize',
      {
        protocolVersion: LATEST_LEGACY_PROTOCOL_VERSION,
        capabilities: this.#options.capabilities,
        clientInfo: this.#options.clientInfo,
      },
      { signal, timeoutMs: this.#options.connectTimeoutMs, resultSchema: InitializeResultSchema },
    );
    const initialized = result as z.infer<typeof InitializeResultSchema>;
    if (!(LEGACY_PROTOCOL_VERSIONS as readonly string[]).includes(initialized.protocolVersion)) {
      throw new ClientError(
        'UNSUPPORTED_PROTOCOL_VERSION',
        `The server answered initialize with protocol version ${initialized.protocolVersion}; this client speaks ${LEGACY_PROTOCOL_VERSIONS.join(', ')}`,
      );
    }
    await this.#endpoint.notify('notifications/initialized');
    return {
      era: 'legacy',
      protocolVersion: initialized.protocolVersion,
      capabilities: initialized.capabilities,
      serverInfo: initialized.serverInfo,
      instructions: initialized.instructions,
    };
  }

  /** Modern servers announce list changes on a `subscriptions/listen` stream kept open for the connection. */
  async #listenForChanges(capabilities: ServerCapabilities): Promise<void> {
    const notifications = {
      ...(capabilities.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(capabilities.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(capabilities.resources?.listChanged ? { resourcesListChanged: true } : {}),
    };
    if (Object.keys(notifications).length === 0) return;
    this.#listen = new AbortController();
    try {
      await this.request(
        'subscriptions/listen',
        { notifications },
        {
          signal: this.#listen.signal,
          timeoutMs: 2_147_483_647,
        },
      );
    } catch {
      // Ends when the connection closes; list changes are then unknown, which callers see as a closed client.
    }
  }

  /**
   * Sends any request; in the modern era the per-request `_meta` envelope is added.
   * @throws {ClientError} `REMOTE_ERROR`, `TIMEOUT`, `ABORTED`, `NOT_CONNECTED`, `PROTOCOL_VIOLATION`
   */
  async request<T = unknown>(
    method: string,
    params: Record<string, unknown> | undefined,
    options: CallOptions & { resultSchema?: z.ZodType } = {},
  ): Promise<T> {
    if (this.#closed) throw new ClientError('CLOSED', `Cannot send ${method}: the client is closed`);
    const server = this.#server;
    if (!server && method !== 'subscriptions/listen') {
      throw new ClientError('NOT_CONNECTED', `Cannot send ${method}: the client is not connected`);
    }
    const meta =
      server?.era === 'modern'
        ? {
            ...modernRequestMeta(
              server.protocolVersion,
              this.#options.capabilities,
              this.#options.clientInfo,
            ),
            ...options.meta,
          }
        : options.meta;
    try {
      const result = await this.#endpoint.request<T>(method, params, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.onProgress
          ? { onProgress: options.onProgress, resetTimeoutOnProgress: options.resetTimeoutOnProgress ?? true }
          : {}),
        ...(options.maxTotalTimeoutMs !== undefined ? { maxTotalTimeoutMs: options.maxTotalTimeoutMs } : {}),
        ...(meta ? { meta } : {}),
        ...(options.resultSchema ? { resultSchema: options.resultSchema } : {}),
      });
      if (server?.era === 'modern' && readResultType(result) !== 'complete') {
        throw new ClientError(
          'PROTOCOL_VIOLATION',
          `${method} asked for more input (resultType ${JSON.stringify((result as { resultType?: unknown }).resultType)}), which this client cannot provide`,
        );
      }
      return result;
    } catch (error) {
      throw toClientError(error, method);
    }
  }

  /** Every tool, following `nextCursor` through all pages. */
  async listTools(options: CallOptions = {}): Promise<Tool[]> {
    return this.#listAll('tools/list', 'tools', ListToolsResultSchema, options) as Promise<Tool[]>;
  }

  async listPrompts(options: CallOptions = {}): Promise<Prompt[]> {
    return this.#listAll('prompts/list', 'prompts', ListPromptsResultSchema, options) as Promise<Prompt[]>;
  }

  async listResources(options: CallOptions = {}): Promise<Resource[]> {
    return this.#listAll('resources/list', 'resources', ListResourcesResultSchema, options) as Promise<
      Resource[]
    >;
  }

  async listResourceTemplates(options: CallOptions = {}): Promise<ResourceTemplate[]> {
    return this.#listAll(
      'resources/templates/list',
      'resourceTemplates',
      ListResourceTemplatesResultSchema,
      options,
    ) as Promise<ResourceTemplate[]>;
  }

  /**
   * Calls a tool. A tool's own failure comes back as a result with `isError: true`; protocol failures
   * reject.
   * @throws {ClientError} `REMOTE_ERROR`, `TIMEOUT`, `ABORTED`, `NOT_CONNECTED`, `PROTOCOL_VIOLATION`
   */
  async callTool(
    name: string,
    args: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    return this.request<CallToolResult>(
      'tools/call',
      { name, arguments: args },
      { ...options, resultSchema: CallToolResultSchema },
    );
  }

  async getPrompt(
    name: string,
    args: Record<string, string> = {},
    options: CallOptions = {},
  ): Promise<GetPromptResult> {
    return this.request<GetPromptResult>(
      'prompts/get',
      { name, arguments: args },
      { ...options, resultSchema: GetPromptResultSchema },
    );
  }

  async readResource(uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    return this.request<ReadResourceResult>(
      'resources/read',
      { uri },
      { ...options, resultSchema: ReadResourceResultSchema },
    );
  }

  async #listAll(method: string, key: string, schema: z.ZodType, options: CallOptions): Promise<unknown[]> {
    const items: unknown[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < this.#options.maxPages; page++) {
      const result = (await this.request<Record<string, unknown>>(
        method,
        cursor === undefined ? {} : { cursor },
        {
          ...options,
          resultSchema: schema,
        },
      )) as Record<string, unknown> & { nextCursor?: string };
      items.push(...((result[key] as unknown[]) ?? []));
      cursor = result.nextCursor;
      if (cursor === undefined) return items;
      if (seen.has(cursor)) {
        throw new ClientError(
          'PROTOCOL_VIOLATION',
          `${method} returned the cursor ${JSON.stringify(cursor)} twice`,
        );
      }
      seen.add(cursor);
    }
    throw new ClientError(
      'PROTOCOL_VIOLATION',
      `${method} did not end within ${this.#options.maxPages} pages (maxPages)`,
    );
  }

  /** Closes the connection (for stdio, closing the child's stdin). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listen?.abort();
    await this.#endpoint.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
