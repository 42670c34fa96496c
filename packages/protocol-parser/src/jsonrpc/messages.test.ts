import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonRpcError, JsonRpcErrorCode, ProtocolError } from '../errors.js';
import {
  classifyMessage,
  errorResponse,
  JsonRpcMessageSchema,
  parseMessage,
  requestIdKey,
  safeParseMessage,
  successResponse,
} from './messages.js';

describe('classifyMessage', () => {
  it.each([
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }, 'request'],
    [{ jsonrpc: '2.0', id: 'abc', method: 'tools/list', params: {} }, 'request'],
    [{ jsonrpc: '2.0', id: 0, method: 'sum', params: [1, 2] }, 'request'],
    [{ jsonrpc: '2.0', method: 'notifications/initialized' }, 'notification'],
    [{ jsonrpc: '2.0', method: 'n', params: [] }, 'notification'],
    [{ jsonrpc: '2.0', id: 1, result: {} }, 'response'],
    [{ jsonrpc: '2.0', id: 1, result: null }, 'response'],
    [{ jsonrpc: '2.0', id: 'x', error: { code: -32601, message: 'nope' } }, 'response'],
    [{ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }, 'response'],
  ])('should classify %j as a %s', (value, kind) => {
    expect(classifyMessage(value).kind).toBe(kind);
  });

  it.each([
    [{ id: 1, method: 'ping' }, 1, 'jsonrpc'],
    [{ jsonrpc: '1.0', id: 1, method: 'ping' }, 1, 'jsonrpc'],
    [{ jsonrpc: 2, id: 1, method: 'ping' }, 1, 'jsonrpc'],
    [{ jsonrpc: '2.0', id: null, method: 'ping' }, null, 'not null'],
    [{ jsonrpc: '2.0', id: 1.5, method: 'ping' }, null, 'integer'],
    [{ jsonrpc: '2.0', id: true, method: 'ping' }, null, 'integer'],
    [{ jsonrpc: '2.0', id: { a: 1 }, method: 'ping' }, null, 'integer'],
    [{ jsonrpc: '2.0', id: 7, method: 5 }, 7, 'method'],
    [{ jsonrpc: '2.0', id: 7, method: 'm', params: 'bar' }, 7, 'params'],
    [{ jsonrpc: '2.0', id: 7, method: 'm', params: null }, 7, 'params'],
    [{ jsonrpc: '2.0', id: 7, method: 'm', params: 3 }, 7, 'params'],
    [{ jsonrpc: '2.0', id: 7, method: 'm', result: {} }, 7, 'must not carry'],
    [{ jsonrpc: '2.0', id: 7, result: {}, error: { code: 1, message: 'x' } }, 7, 'exactly one'],
    [{ jsonrpc: '2.0', id: 7 }, 7, 'exactly one'],
    [{ jsonrpc: '2.0' }, null, 'needs a "method"'],
    [{ jsonrpc: '2.0', id: null, result: {} }, null, 'success response id'],
    [{ jsonrpc: '2.0', id: 3, error: { code: 1.5, message: 'x' } }, 3, 'integer "code"'],
    [{ jsonrpc: '2.0', id: 3, error: { code: 1 } }, 3, 'string "message"'],
    [{ jsonrpc: '2.0', id: 3, method: 'm', extra: 1 }, 3, 'Unexpected member'],
  ])('should reject %j (id %j) naming the rule', (value, id, reason) => {
    const classified = classifyMessage(value);
    expect(classified.kind).toBe('invalid');
    if (classified.kind !== 'invalid') return;
    expect(classified.id).toBe(id);
    expect(classified.reason).toContain(reason);
  });

  it.each([null, 1, 'x', true, [1]])('should reject the non-object %j with id null', (value) => {
    expect(classifyMessage(value)).toMatchObject({ kind: 'invalid', id: null, reply: true });
  });

  it('should not ask to reply to a malformed error response (no error ping-pong)', () => {
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, error: 'boom' })).toMatchObject({
      kind: 'invalid',
      reply: false,
    });
  });

  it('should agree with JsonRpcMessageSchema on arbitrary message-like objects (property)', () => {
    const id = fc.oneof(
      fc.integer(),
      fc.string({ maxLength: 3 }),
      fc.constant(null),
      fc.double(),
      fc.boolean(),
    );
    const member = fc.record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('1.0'), fc.integer()),
        id,
        method: fc.oneof(fc.string({ maxLength: 5 }), fc.integer()),
        params: fc.oneof(fc.object({ maxDepth: 1 }), fc.array(fc.integer()), fc.constant(null), fc.string()),
        result: fc.oneof(fc.object({ maxDepth: 1 }), fc.constant(null), fc.integer()),
        error: fc.oneof(
          fc.record(
            { code: fc.oneof(fc.integer(), fc.double()), message: fc.string() },
            { requiredKeys: ['code'] },
          ),
          fc.string(),
        ),
        extra: fc.integer(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(member, (value) => {
        const valid = classifyMessage(value).kind !== 'invalid';
        return valid === JsonRpcMessageSchema.safeParse(value).success;
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 5_000) },
    );
  });
});

describe('parseMessage / safeParseMessage', () => {
  it('should return the message or a typed INVALID_MESSAGE error carrying the readable id', () => {
    expect(parseMessage({ jsonrpc: '2.0', method: 'x' })).toEqual({ jsonrpc: '2.0', method: 'x' });
    const parsed = safeParseMessage({ jsonrpc: '2.0', id: 9, method: 1 });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    expect(ProtocolError.isInstance(parsed.error)).toBe(true);
    expect(parsed.error.code).toBe('INVALID_MESSAGE');
    expect(parsed.error.data).toEqual({ id: 9 });
    expect(() => parseMessage('x')).toThrow(/must be a JSON object/);
  });
});

describe('JsonRpcError', () => {
  it('should round-trip through toWire/fromWire', () => {
    const error = new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, 'bad', { field: 'name' });
    const back = JsonRpcError.fromWire(JSON.parse(JSON.stringify(error.toWire())));
    expect(back.code).toBe(-32602);
    expect(back.message).toBe('bad');
    expect(back.data).toEqual({ field: 'name' });
    expect(new JsonRpcError(1, 'x').toWire()).toEqual({ code: 1, message: 'x' });
  });

  it('should keep a malformed wire error as data of an INTERNAL_ERROR', () => {
    const error = JsonRpcError.fromWire({ code: 'x' });
    expect(error.code).toBe(JsonRpcErrorCode.INTERNAL_ERROR);
    expect(error.data).toEqual({ received: { code: 'x' } });
  });

  it('should refuse a non-integer code', () => {
    expect(() => new JsonRpcError(1.5, 'x')).toThrow(TypeError);
  });

  it('should be recognised across copies by isInstance, and be distinct from ProtocolError', () => {
    const error = new JsonRpcError(1, 'x');
    expect(JsonRpcError.isInstance(error)).toBe(true);
    expect(ProtocolError.isInstance(error)).toBe(false);
    expect(JsonRpcError.isInstance(new ProtocolError('TIMEOUT', 't'))).toBe(false);
  });
});

describe('response builders', () => {
  it('should build success and error responses', () => {
    expect(successResponse(1, { a: 1 })).toEqual({ jsonrpc: '2.0', id: 1, result: { a: 1 } });
    expect(errorResponse(null, new JsonRpcError(-32700, 'Parse error'))).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error' },
    });
  });
});

describe('requestIdKey', () => {
  it('should give 1 and "1" different keys, and the same id the same key', () => {
    expect(requestIdKey(1)).toBe('number:1');
    expect(requestIdKey('1')).toBe('string:1');
    expect(requestIdKey(1)).not.toBe(requestIdKey('1'));
    expect(requestIdKey('abc')).toBe(requestIdKey('abc'));
  });
});
