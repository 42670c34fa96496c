import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { MimoErrorCode } from '../errors.js';
import { errorResponse, type JsonRpcErrorResponse, type RequestId } from '../jsonrpc/messages.js';

/**
 * Codes of refusals by the HTTP transport itself, the ones the official SDK's Streamable HTTP server uses,
 * so an SDK client reads Mimo's refusals as it reads the SDK's: `BAD_REQUEST` for a request the transport
 * refuses (headers, method, media type, auth), `SESSION_NOT_FOUND` for an unknown `Mcp-Session-Id`.
 */
export const HttpTransportErrorCode = {
  BAD_REQUEST: -32000,
  SESSION_NOT_FOUND: -32001,
} as const;

/**
 * A request refused before (or instead of) reaching the server: the HTTP status and headers to answer
 * with, and the JSON-RPC error the body carries.
 */
export class HttpRejection {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly message: string,
    readonly id: RequestId | null = null,
    readonly headers: Record<string, string> = {},
    readonly data?: unknown,
  ) {}

  /** The JSON-RPC error response the refusal's body carries. */
  body(): JsonRpcErrorResponse {
    return errorResponse(
      this.id,
      this.data === undefined
        ? { code: this.code, message: this.message }
        : { code: this.code, message: this.message, data: this.data },
    );
  }
}

/** 429 with `Retry-After` (whole seconds, at least 1) and `data.retryAfterMs`. */
export function tooManyRequests(retryAfterMs: number, what: string): HttpRejection {
  return new HttpRejection(
    429,
    MimoErrorCode.RATE_LIMITED,
    `Too many ${what}: retry in ${retryAfterMs} ms`,
    null,
    { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
    { retryAfterMs },
  );
}

/** Answers a refused request: the status, the rejection's headers and its JSON-RPC error as JSON. */
export function writeHttpRejection(response: ServerResponse, rejection: HttpRejection): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  // A refused request's body is not read: keeping the connection would mean waiting for that body (a
  // client sending half a body held the socket, and 1,100 of them exhausted the descriptors).
  if (response.req && !response.req.complete) response.setHeader('Connection', 'close');
  response.writeHead(rejection.status, { 'Content-Type': 'application/json', ...rejection.headers });
  response.end(JSON.stringify(rejection.body()));
}

/**
 * Answers a refused HTTP upgrade (a WebSocket route gated like the MCP endpoint) on its raw socket, then
 * closes it: there is no `ServerResponse` for an upgrade request.
 */
export function writeUpgradeRejection(socket: Duplex, rejection: HttpRejection): void {
  const body = JSON.stringify(rejection.body());
  const headers = Object.entries(rejection.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${rejection.status} Refused\r\nConnection: close\r\nContent-Type: application/json\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
