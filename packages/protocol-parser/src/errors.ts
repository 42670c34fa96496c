import { MimoError } from '@mimo-mcp/core';

/**
 * Error codes that travel on the wire, in JSON-RPC error objects.
 *
 * - The five standard codes come from JSON-RPC 2.0 §5.1.
 * - `HEADER_MISMATCH`, `MISSING_REQUIRED_CLIENT_CAPABILITY` and `UNSUPPORTED_PROTOCOL_VERSION` are defined by
 *   MCP 2026-07-28 (basic/index §Error Codes, sub-range -32020..-32099 reserved for the specification).
 * - `RESOURCE_NOT_FOUND` (-32002) and `URL_ELICITATION_REQUIRED` (-32042) were defined by legacy revisions
 *   (2025-11-25 and earlier); a 2026-07-28 server must not emit them, but clients should still accept -32002.
 */
export const JsonRpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  RESOURCE_NOT_FOUND: -32002,
  HEADER_MISMATCH: -32020,
  MISSING_REQUIRED_CLIENT_CAPABILITY: -32021,
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
  URL_ELICITATION_REQUIRED: -32042,
} as const;

/**
 * Mimo's own wire error codes. They sit in the JSON-RPC server-error range (-32000..-32099) inside the
 * implementation-defined sub-range -32000..-32019, avoiding every code MCP defines (-32002, -32020..-32099)
 * and the codes the official SDK uses for its own conditions (-32000 connection closed / bad request,
 * -32001 request timeout / session not found). Receivers must not assume meanings for them across
 * implementations (MCP 2026-07-28 basic/index §Error Codes); they exist so Mimo's clients can tell
 * conditions apart.
 */
export const MimoErrorCode = {
  /** A frame exceeded the maximum message size. `data.limitBytes` holds the limit. */
  MESSAGE_TOO_LARGE: -32010,
  /** The server gave up on a request after its handler timeout. `data.timeoutMs` holds the limit. */
  REQUEST_TIMEOUT: -32011,
  /** Too many requests are being handled at once. `data.limit` holds the limit. */
  SERVER_BUSY: -32012,
  /** The server is shutting down and accepts no new requests. */
  SHUTTING_DOWN: -32013,
  /** The caller exceeded its rate limit. `data.retryAfterMs` says when to retry. */
  RATE_LIMITED: -32014,
} as const;

export type JsonRpcErrorCodeValue = (typeof JsonRpcErrorCode)[keyof typeof JsonRpcErrorCode];
export type MimoErrorCodeValue = (typeof MimoErrorCode)[keyof typeof MimoErrorCode];

/** The shape of an error object on the wire (JSON-RPC 2.0 §5.1). */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

const JSON_RPC_ERROR_MARKER = Symbol.for('mimo.error.JsonRpcError');

/**
 * An error that is, or will be, a JSON-RPC error object on the wire: thrown by a request handler to answer
 * with this code, or received from the peer as the answer to one of our requests.
 *
 * @example
 * throw new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, 'Unknown tool: "nope"', { name: 'nope' });
 */
export class JsonRpcError extends Error {
  override readonly name = 'JsonRpcError';
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    if (!Number.isInteger(code)) {
      throw new TypeError(`JsonRpcError: code must be an integer, got ${String(code)}`);
    }
    this.code = code;
    this.data = data;
    Object.defineProperty(this, JSON_RPC_ERROR_MARKER, { value: true });
  }

  /** True for a `JsonRpcError` from any copy of this package (duplicate installs included). */
  static isInstance(value: unknown): value is JsonRpcError {
    return typeof value === 'object' && value !== null && JSON_RPC_ERROR_MARKER in value;
  }

  /** The error object to put in a response's `error` member. `data` is omitted when undefined. */
  toWire(): JsonRpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  /**
   * Builds a `JsonRpcError` from a wire error object. Malformed objects (no integer code or no string
   * message) become an `INTERNAL_ERROR` that keeps the original under `data.received`, so nothing is lost.
   */
  static fromWire(error: unknown): JsonRpcError {
    if (typeof error === 'object' && error !== null) {
      const { code, message, data } = error as Record<string, unknown>;
      if (typeof code === 'number' && Number.isInteger(code) && typeof message === 'string') {
        return new JsonRpcError(code, message, data);
      }
    }
    return new JsonRpcError(JsonRpcErrorCode.INTERNAL_ERROR, 'Malformed error object received from peer', {
      received: error,
    });
  }
}

/** Codes of {@link ProtocolError}, errors raised locally (never received from the peer). */
export type ProtocolErrorCode =
  /** A frame was longer than `maxMessageBytes`. */
  | 'MESSAGE_TOO_LARGE'
  /** A frame was not valid JSON. */
  | 'INVALID_JSON'
  /** A frame was not valid UTF-8. */
  | 'INVALID_UTF8'
  /** A value is not a valid JSON-RPC message, or cannot be encoded as one. */
  | 'INVALID_MESSAGE'
  /** A batch (JSON array) arrived where the negotiated protocol version does not allow one. */
  | 'BATCH_NOT_ALLOWED'
  /** An outgoing request got no response within its timeout. */
  | 'TIMEOUT'
  /** An outgoing request was aborted through its `signal`. */
  | 'ABORTED'
  /** The endpoint or transport closed before the request completed. */
  | 'CLOSED'
  /** The endpoint has no transport to send through. */
  | 'NOT_CONNECTED'
  /** An argument passed to this library is invalid. */
  | 'INVALID_ARGUMENT';

/**
 * A local error of this package: framing failures, timeouts, aborts and closed connections. Distinct from
 * {@link JsonRpcError} so a local condition can never be mistaken for an answer from the peer
 * (MCP 2026-07-28 basic/index §Error Codes).
 */
export class ProtocolError extends MimoError<ProtocolErrorCode> {
  static override readonly marker = Symbol.for('mimo.error.ProtocolError');
  override readonly name = 'ProtocolError';
}
