import {
  DEFAULT_MAX_MESSAGE_BYTES,
  encodeMcpHeaderValue,
  type JsonRpcMessage,
  McpHttpHeader,
  META_KEYS,
  mcpNameOf,
  ProtocolError,
  parseJson,
  type RequestId,
  requestIdKey,
  type Transport,
} from '@mimo-mcp/protocol-parser';

export interface HttpTransportOptions {
  /** The server's MCP endpoint (http or https). */
  url: string | URL;
  /** Extra headers on every request (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /** Largest JSON body or SSE event accepted. @default 4 MiB */
  maxMessageBytes?: number;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

interface RequestLike {
  id?: string | number;
  method?: string;
  params?: Record<string, unknown>;
}

/** Reads a body up to `limit` bytes; more is an error (the connection is cut, nothing is buffered beyond). */
async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ProtocolError(
        'MESSAGE_TOO_LARGE',
        `The response body exceeds ${limit} bytes (maxMessageBytes)`,
      );
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Parses a `text/event-stream` body, calling `onData` with each event's data (multi-line `data:` joined by
 * `\n`). Events larger than `limit` bytes are an error.
 */
async function readEventStream(
  body: ReadableStream<Uint8Array>,
  limit: number,
  onData: (data: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let data: string[] = [];
  let size = 0;
  const dispatch = () => {
    if (data.length > 0) onData(data.join('\n'));
    data = [];
    size = 0;
  };
  for (;;) {
    const { done, value } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    let newline = buffer.search(/\r\n|\r|\n/);
    while (newline !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(
        buffer[newline] === '\r' && buffer[newline + 1] === '\n' ? newline + 2 : newline + 1,
      );
      if (line === '') dispatch();
      else if (line.startsWith('data:')) {
        const value = line.slice(line[5] === ' ' ? 6 : 5);
        size += value.length;
        if (size > limit) {
          await reader.cancel();
          throw new ProtocolError(
            'MESSAGE_TOO_LARGE',
            `An SSE event exceeds ${limit} bytes (maxMessageBytes)`,
          );
        }
        data.push(value);
      }
      // `event:`, `id:`, `retry:` and comments carry nothing a request-scoped stream needs.
      newline = buffer.search(/\r\n|\r|\n/);
    }
    if (buffer.length > limit) {
      await reader.cancel();
      throw new ProtocolError('MESSAGE_TOO_LARGE', `An SSE line exceeds ${limit} bytes (maxMessageBytes)`);
    }
    if (done) {
      dispatch();
      return;
    }
  }
}

/**
 * A client {@link Transport} for Streamable HTTP: each message is its own POST; the answer is a JSON body
 * or a Server-Sent Events stream scoped to the request. Requests carry `MCP-Protocol-Version` (from the
 * modern `_meta`, or the version `initialize` settled on), `Mcp-Method` and `Mcp-Name`, and the legacy
 * `Mcp-Session-Id` once the server assigned one. Cancelling a request (`notifications/cancelled`) also
 * closes its stream, the modern way to cancel. Bodies are bounded by `maxMessageBytes`.
 *
 * @example
 * await client.connect(createHttpTransport({ url: 'https://example.com/mcp', headers: { authorization: `Bearer ${token}` } }));
 */
export function createHttpTransport(options: HttpTransportOptions): Transport {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`createHttpTransport needs an http(s) URL, got ${url.protocol}`);
  }
  const doFetch = options.fetch ?? globalThis.fetch;
  const limit = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const streams = new Map<string, AbortController>();
  let sessionId: string | undefined;
  let legacyVersion: string | undefined;
  let closed = false;

  const deliver = (text: string, initializeId: string | number | undefined) => {
    if (closed || text.trim() === '') return;
    let value: unknown;
    try {
      value = parseJson(text);
    } catch (error) {
      transport.onframeerror?.(
        ProtocolError.isInstance(error)
          ? error
          : new ProtocolError('INVALID_JSON', 'The server sent invalid JSON'),
      );
      return;
    }
    const answer = value as { id?: unknown; result?: { protocolVersion?: unknown } };
    if (
      initializeId !== undefined &&
      answer?.id === initializeId &&
      typeof answer.result?.protocolVersion === 'string'
    ) {
      legacyVersion = answer.result.protocolVersion;
    }
    transport.onmessage?.(value);
  };

  const post = async (message: JsonRpcMessage | JsonRpcMessage[]): Promise<void> => {
    const single = (Array.isArray(message) ? undefined : message) as RequestLike | undefined;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...options.headers,
    };
    const metaVersion = (single?.params?._meta as Record<string, unknown> | undefined)?.[
      META_KEYS.PROTOCOL_VERSION
    ];
    const version = typeof metaVersion === 'string' ? metaVersion : legacyVersion;
    if (version) headers[McpHttpHeader.PROTOCOL_VERSION] = version;
    if (single?.method) headers[McpHttpHeader.METHOD] = single.method;
    const name = mcpNameOf(single?.method, single?.params);
    if (name !== undefined) headers[McpHttpHeader.NAME] = encodeMcpHeaderValue(name);
    if (sessionId) headers[McpHttpHeader.SESSION_ID] = sessionId;

    if (single?.method === 'notifications/cancelled') {
      const requestId = single.params?.requestId;
      streams.get(requestIdKey(requestId as RequestId))?.abort();
    }
    const controller = new AbortController();
    const key = single?.id !== undefined && single.method ? requestIdKey(single.id) : undefined;
    if (key) streams.set(key, controller);
    const release = () => {
      if (key && streams.get(key) === controller) streams.delete(key);
    };
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(message),
        signal: controller.signal,
      });
    } catch (error) {
      release();
      throw new ProtocolError('CLOSED', `POST ${url} failed: ${(error as Error).message}`, { cause: error });
    }
    const assigned = response.headers.get(McpHttpHeader.SESSION_ID);
    if (assigned) sessionId = assigned;
    const initializeId = single?.method === 'initialize' ? single.id : undefined;
    const type = response.headers.get('content-type') ?? '';
    if (response.status === 202 || response.status === 204) {
      release();
      return;
    }
    if (type.includes('text/event-stream') && response.body && response.ok) {
      // The stream outlives send(): it resolves once the server accepted the request.
      void readEventStream(response.body, limit, (data) => deliver(data, initializeId))
        .catch((error: unknown) => {
          if (!controller.signal.aborted && !closed) {
            transport.onframeerror?.(
              ProtocolError.isInstance(error)
                ? error
                : new ProtocolError('CLOSED', `The event stream broke: ${(error as Error).message}`),
            );
          }
        })
        .finally(release);
      return;
    }
    let text: string;
    try {
      text = await readLimited(response.body, limit);
    } finally {
      release();
    }
    if (type.includes('application/json') && text.trim() !== '') {
      // Errors travel as JSON-RPC error responses even with a 4xx status.
      deliver(text, initializeId);
      return;
    }
    if (!response.ok) {
      throw new ProtocolError(
        'CLOSED',
        `POST ${url} answered HTTP ${response.status} ${response.statusText}`.trim(),
        {
          data: { status: response.status },
        },
      );
    }
  };

  const transport: Transport = {
    async start() {},
    async send(message) {
      if (closed) throw new ProtocolError('CLOSED', 'The HTTP transport is closed');
      await post(message);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const controller of streams.values()) controller.abort();
      streams.clear();
      if (sessionId) {
        // Legacy sessions end with a DELETE; best effort, bounded.
        await doFetch(url, {
          method: 'DELETE',
          headers: { ...options.headers, [McpHttpHeader.SESSION_ID]: sessionId },
          signal: AbortSignal.timeout(2000),
        }).catch(() => {});
      }
      transport.onclose?.();
    },
  };
  return transport;
}
