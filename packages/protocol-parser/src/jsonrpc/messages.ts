import { isRecord } from '@mimo-mcp/core';
import { z } from 'zod';
import { JsonRpcError, JsonRpcErrorCode, type JsonRpcErrorObject, ProtocolError } from '../errors.js';

/** The only JSON-RPC version string (JSON-RPC 2.0 §4: "MUST be exactly \"2.0\""). */
export const JSONRPC_VERSION = '2.0';

/**
 * A request id: a string or an integer. JSON-RPC 2.0 §4 also allows `null` and fractional numbers but
 * discourages both; MCP forbids `null` (MCP basic/index §Requests: "the ID MUST NOT be null").
 */
export type RequestId = string | number;

/**
 * The key a request id is stored under in a map of requests in flight: `1` and `"1"` are different ids
 * (JSON-RPC 2.0 §4), so the key carries the type. Both ends of a connection use it to match a response or
 * a `notifications/cancelled` to its request.
 *
 * @example
 * inFlight.set(requestIdKey(request.id), entry); // 'number:1'
 */
export function requestIdKey(id: RequestId): string {
  return `${typeof id}:${id}`;
}

/** Request or notification parameters: "a Structured value" (JSON-RPC 2.0 §4.2), an object or an array. */
export type JsonRpcParams = Record<string, unknown> | unknown[];

/** JSON-RPC 2.0 §4: a request, which always gets exactly one response. */
export interface JsonRpcRequest {
  jsonrpc: typeof JSONRPC_VERSION;
  id: RequestId;
  method: string;
  params?: JsonRpcParams;
}

/** JSON-RPC 2.0 §4.1: a notification has no `id` and never gets a reply. */
export interface JsonRpcNotification {
  jsonrpc: typeof JSONRPC_VERSION;
  method: string;
  params?: JsonRpcParams;
}

/** JSON-RPC 2.0 §5: a successful response carries `result` and no `error`. */
export interface JsonRpcSuccessResponse {
  jsonrpc: typeof JSONRPC_VERSION;
  id: RequestId;
  result: unknown;
}

/**
 * JSON-RPC 2.0 §5: an error response carries `error` and no `result`. Its id is `null` only when the
 * request's id could not be read (parse error, invalid request).
 */
export interface JsonRpcErrorResponse {
  jsonrpc: typeof JSONRPC_VERSION;
  id: RequestId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcSuccessResponse | JsonRpcErrorResponse;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** zod schema of a {@link RequestId}: a string or a safe integer (MCP basic/index §Requests). */
export const RequestIdSchema = z.union([z.string(), z.int()]);

/** zod schema of request/notification params: an object or an array (JSON-RPC 2.0 §4.2). */
export const JsonRpcParamsSchema = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);

/** zod schema of a JSON-RPC error object (JSON-RPC 2.0 §5.1: integer code, string message, optional data). */
export const JsonRpcErrorObjectSchema = z.object({
  code: z.int(),
  message: z.string(),
  data: z.unknown().optional(),
});

/** zod schema of a {@link JsonRpcRequest} (JSON-RPC 2.0 §4; MCP basic/index §Requests). */
export const JsonRpcRequestSchema = z.strictObject({
  jsonrpc: z.literal(JSONRPC_VERSION),
  id: RequestIdSchema,
  method: z.string(),
  params: JsonRpcParamsSchema.optional(),
});

/** zod schema of a {@link JsonRpcNotification} (JSON-RPC 2.0 §4.1; MCP basic/index §Notifications). */
export const JsonRpcNotificationSchema = z.strictObject({
  jsonrpc: z.literal(JSONRPC_VERSION),
  method: z.string(),
  params: JsonRpcParamsSchema.optional(),
});

/** zod schema of a {@link JsonRpcSuccessResponse} (JSON-RPC 2.0 §5). */
export const JsonRpcSuccessResponseSchema = z.strictObject({
  jsonrpc: z.literal(JSONRPC_VERSION),
  id: RequestIdSchema,
  result: z.unknown().refine((value) => value !== undefined, 'result is required'),
});

/** zod schema of a {@link JsonRpcErrorResponse} (JSON-RPC 2.0 §5, §5.1). */
export const JsonRpcErrorResponseSchema = z.strictObject({
  jsonrpc: z.literal(JSONRPC_VERSION),
  id: z.union([RequestIdSchema, z.null()]),
  error: JsonRpcErrorObjectSchema,
});

/** zod schema of any single JSON-RPC message. `result` xor `error` is enforced by the strict objects. */
export const JsonRpcMessageSchema = z.union([
  JsonRpcRequestSchema,
  JsonRpcNotificationSchema,
  JsonRpcSuccessResponseSchema,
  JsonRpcErrorResponseSchema,
]);

/** The outcome of {@link classifyMessage}: what a single decoded JSON value is. */
export type ClassifiedMessage =
  | { kind: 'request'; message: JsonRpcRequest }
  | { kind: 'notification'; message: JsonRpcNotification }
  | { kind: 'response'; message: JsonRpcResponse }
  | {
      kind: 'invalid';
      /** The id, when one could be read, so an error reply can still be correlated; otherwise `null`. */
      id: RequestId | null;
      /** Why the value is not a valid JSON-RPC message. */
      reason: string;
      /**
       * Whether an error reply should be sent. False for malformed *error responses*: answering an error
       * with an error can make two peers ping-pong forever.
       */
      reply: boolean;
    };

const ALLOWED_KEYS = new Set(['jsonrpc', 'id', 'method', 'params', 'result', 'error']);

function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/**
 * Classifies one decoded JSON value as a request, notification, response or invalid message, applying
 * the exact rules of JSON-RPC 2.0 and MCP: `jsonrpc` is exactly `"2.0"`; request ids are strings or
 * integers, never `null`; notifications have no `id`; a response has `result` xor `error`; `params`, when
 * present, is an object or an array; no members other than the spec's. This is the fast path used on
 * every message; {@link JsonRpcMessageSchema} accepts exactly the same set (a property test checks it).
 *
 * Arrays are batches and are not classified here: see {@link classifyBatch}.
 */
export function classifyMessage(value: unknown): ClassifiedMessage {
  if (!isRecord(value)) {
    return { kind: 'invalid', id: null, reason: 'A JSON-RPC message must be a JSON object', reply: true };
  }
  const hasId = Object.hasOwn(value, 'id');
  const rawId = value.id;
  const readableId = hasId && isRequestId(rawId) ? rawId : null;
  const hasError = Object.hasOwn(value, 'error');
  const invalid = (reason: string): ClassifiedMessage => ({
    kind: 'invalid',
    id: readableId,
    reason,
    reply: !hasError,
  });

  for (const key in value) {
    if (!ALLOWED_KEYS.has(key)) return invalid(`Unexpected member "${key}" in a JSON-RPC message`);
  }
  if (value.jsonrpc !== JSONRPC_VERSION) return invalid('The "jsonrpc" member must be exactly "2.0"');

  if (Object.hasOwn(value, 'method')) {
    if (typeof value.method !== 'string') return invalid('The "method" member must be a string');
    if (Object.hasOwn(value, 'result') || hasError) {
      return invalid('A request or notification must not carry "result" or "error"');
    }
    if (Object.hasOwn(value, 'params')) {
      const params = value.params;
      if (typeof params !== 'object' || params === null) {
        return invalid('The "params" member must be an object or an array');
      }
    }
    if (!hasId) return { kind: 'notification', message: value as unknown as JsonRpcNotification };
    if (!isRequestId(rawId)) return invalid('A request id must be a string or an integer (not null)');
    return { kind: 'request', message: value as unknown as JsonRpcRequest };
  }

  if (!hasId)
    return invalid('A JSON-RPC message needs a "method" (request/notification) or an "id" (response)');
  if (Object.hasOwn(value, 'params')) return invalid('A response must not carry "params"');
  const hasResult = Object.hasOwn(value, 'result');
  if (hasResult === hasError) return invalid('A response must carry exactly one of "result" and "error"');
  if (hasResult) {
    if (!isRequestId(rawId)) return invalid('A success response id must be a string or an integer');
    return { kind: 'response', message: value as unknown as JsonRpcSuccessResponse };
  }
  if (rawId !== null && !isRequestId(rawId)) {
    return invalid('An error response id must be a string, an integer or null');
  }
  const error = value.error;
  if (!isRecord(error) || !Number.isSafeInteger(error.code) || typeof error.message !== 'string') {
    return invalid('The "error" member must be an object with an integer "code" and a string "message"');
  }
  return { kind: 'response', message: value as unknown as JsonRpcErrorResponse };
}

/**
 * Parses a decoded value as one JSON-RPC message.
 *
 * @throws {ProtocolError} `INVALID_MESSAGE` (with the reason, and `data.id` when readable) if it is not one.
 * @example
 * const message = parseMessage(JSON.parse(line));
 * if ('method' in message && 'id' in message) handleRequest(message);
 */
export function parseMessage(value: unknown): JsonRpcMessage {
  const classified = classifyMessage(value);
  if (classified.kind === 'invalid') {
    throw new ProtocolError('INVALID_MESSAGE', classified.reason, { data: { id: classified.id } });
  }
  return classified.message;
}

/**
 * Non-throwing {@link parseMessage}, returning zod's `{ success, data } | { success, error }` shape.
 *
 * @example
 * const parsed = safeParseMessage(value);
 * if (!parsed.success) console.error(parsed.error.message);
 */
export function safeParseMessage(
  value: unknown,
): { success: true; data: JsonRpcMessage } | { success: false; error: ProtocolError } {
  const classified = classifyMessage(value);
  if (classified.kind === 'invalid') {
    return {
      success: false,
      error: new ProtocolError('INVALID_MESSAGE', classified.reason, { data: { id: classified.id } }),
    };
  }
  return { success: true, data: classified.message };
}

/** True if `message` is a request (has a method and an id). */
export function isRequest(message: JsonRpcMessage): message is JsonRpcRequest {
  return 'method' in message && 'id' in message;
}

/** True if `message` is a notification (has a method and no id). */
export function isNotification(message: JsonRpcMessage): message is JsonRpcNotification {
  return 'method' in message && !('id' in message);
}

/** True if `message` is a response (success or error). */
export function isResponse(message: JsonRpcMessage): message is JsonRpcResponse {
  return !('method' in message);
}

/** True if `message` is an error response. */
export function isErrorResponse(message: JsonRpcMessage): message is JsonRpcErrorResponse {
  return 'error' in message && !('method' in message);
}

/** Builds a success response. */
export function successResponse(id: RequestId, result: unknown): JsonRpcSuccessResponse {
  return { jsonrpc: JSONRPC_VERSION, id, result };
}

/** Builds an error response from a {@link JsonRpcError} or a code and message. */
export function errorResponse(
  id: RequestId | null,
  error: JsonRpcError | JsonRpcErrorObject,
): JsonRpcErrorResponse {
  return { jsonrpc: JSONRPC_VERSION, id, error: JsonRpcError.isInstance(error) ? error.toWire() : error };
}

/** Builds the `-32600 Invalid Request` reply for an invalid message. */
export function invalidRequestResponse(id: RequestId | null, reason: string): JsonRpcErrorResponse {
  return errorResponse(id, { code: JsonRpcErrorCode.INVALID_REQUEST, message: `Invalid Request: ${reason}` });
}

/** Builds the `-32700 Parse error` reply, always with `id: null` (JSON-RPC 2.0 §5.1). */
export function parseErrorResponse(detail: string): JsonRpcErrorResponse {
  return errorResponse(null, { code: JsonRpcErrorCode.PARSE_ERROR, message: `Parse error: ${detail}` });
}
