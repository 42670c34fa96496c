import { describe, expect, it } from 'vitest';
import {
  isMethodInEra,
  isModernRequest,
  MCP_REQUEST_METHODS,
  modernRequestMeta,
  readModernMeta,
  readResultType,
} from './methods.js';
import {
  CallToolResultSchema,
  DiscoverResultSchema,
  InitializeRequestParamsSchema,
  InputRequiredResultSchema,
  ListToolsResultSchema,
  META_KEYS,
  ToolSchema,
} from './schemas.js';

const supported = ['2026-07-28'];
const validMeta = modernRequestMeta('2026-07-28', {}, { name: 'c', version: '1' });

describe('isModernRequest', () => {
  it('should recognise a request carrying a protocol version in _meta', () => {
    expect(isModernRequest({ _meta: validMeta })).toBe(true);
    expect(isModernRequest({ _meta: { progressToken: 1 } })).toBe(false);
    expect(isModernRequest({ protocolVersion: '2025-11-25' })).toBe(false);
    expect(isModernRequest(undefined)).toBe(false);
    expect(isModernRequest([1])).toBe(false);
  });
});

describe('readModernMeta', () => {
  it('should read the per-request fields', () => {
    const read = readModernMeta({ _meta: { ...validMeta, [META_KEYS.LOG_LEVEL]: 'info' } }, supported);
    expect(read).toEqual({
      ok: true,
      context: {
        protocolVersion: '2026-07-28',
        clientCapabilities: {},
        clientInfo: { name: 'c', version: '1' },
        logLevel: 'info',
      },
    });
  });

  it.each([
    [undefined, /Missing params._meta/],
    [{}, /Missing params._meta/],
    [{ _meta: { [META_KEYS.CLIENT_CAPABILITIES]: {} } }, /protocolVersion/],
    [{ _meta: { [META_KEYS.PROTOCOL_VERSION]: '2026-07-28' } }, /clientCapabilities/],
    [
      { _meta: { [META_KEYS.PROTOCOL_VERSION]: '2026-07-28', [META_KEYS.CLIENT_CAPABILITIES]: 'x' } },
      /clientCapabilities/,
    ],
    [{ _meta: { ...validMeta, [META_KEYS.CLIENT_INFO]: { name: 'x' } } }, /clientInfo/],
    [{ _meta: { ...validMeta, [META_KEYS.LOG_LEVEL]: 'loud' } }, /logLevel/],
  ])('should reject %j with -32602', (params, message) => {
    const read = readModernMeta(params, supported);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.error.code).toBe(-32602);
    expect(read.error.message).toMatch(message);
  });

  it('should reject an unsupported version with -32022 listing the supported ones', () => {
    for (const version of ['1900-01-01', '2025-11-25', '2099-01-01']) {
      const read = readModernMeta(
        { _meta: { [META_KEYS.PROTOCOL_VERSION]: version, [META_KEYS.CLIENT_CAPABILITIES]: {} } },
        supported,
      );
      expect(read.ok).toBe(false);
      if (read.ok) return;
      expect(read.error.code).toBe(-32022);
      expect(read.error.data).toEqual({ supported, requested: version });
    }
  });
});

describe('readResultType', () => {
  it('should treat an absent resultType as complete and unknown ones as invalid', () => {
    expect(readResultType({})).toBe('complete');
    expect(readResultType({ resultType: 'input_required' })).toBe('input_required');
    expect(readResultType({ resultType: 'weird' })).toBeUndefined();
    expect(readResultType({ resultType: 'weird' }, ['complete', 'weird'])).toBe('weird');
    expect(readResultType(null)).toBeUndefined();
  });
});

describe('method registry', () => {
  it('should know which era each method belongs to', () => {
    expect(isMethodInEra('initialize', 'legacy')).toBe(true);
    expect(isMethodInEra('initialize', 'modern')).toBe(false);
    expect(isMethodInEra('ping', 'modern')).toBe(false);
    expect(isMethodInEra('server/discover', 'modern')).toBe(true);
    expect(isMethodInEra('server/discover', 'legacy')).toBe(false);
    expect(isMethodInEra('subscriptions/listen', 'modern')).toBe(true);
    expect(isMethodInEra('tools/call', 'legacy')).toBe(true);
    expect(isMethodInEra('tools/call', 'modern')).toBe(true);
    expect(isMethodInEra('nope', 'legacy')).toBe(false);
  });

  it('should validate tools/call params and reject a missing name', () => {
    const schema = MCP_REQUEST_METHODS['tools/call'].params;
    expect(schema.safeParse({ name: 'echo', arguments: { a: 1 } }).success).toBe(true);
    expect(schema.safeParse({ arguments: {} }).success).toBe(false);
    expect(schema.safeParse({ name: 'x', arguments: [1] }).success).toBe(false);
  });
});

describe('schemas', () => {
  it('should parse an initialize request and keep unknown capabilities', () => {
    const parsed = InitializeRequestParamsSchema.parse({
      protocolVersion: '2025-11-25',
      capabilities: { roots: { listChanged: true }, futureThing: {} },
      clientInfo: { name: 'x', version: '1' },
    });
    expect(parsed.capabilities).toHaveProperty('futureThing');
  });

  it('should parse tool results with content, structuredContent and isError', () => {
    const parsed = CallToolResultSchema.parse({
      content: [
        { type: 'text', text: 'hi' },
        { type: 'image', data: 'AA==', mimeType: 'image/png' },
        { type: 'resource_link', uri: 'file:///a', name: 'a' },
        { type: 'resource', resource: { uri: 'mimo://x', text: 't' } },
      ],
      structuredContent: [1, 2],
      isError: true,
    });
    expect(parsed.content).toHaveLength(4);
    expect(CallToolResultSchema.parse({ structuredContent: { a: 1 } }).content).toEqual([]);
    expect(CallToolResultSchema.safeParse({ content: [{ type: 'text' }] }).success).toBe(false);
  });

  it('should require a tool inputSchema of type object', () => {
    expect(ToolSchema.safeParse({ name: 't', inputSchema: { type: 'object' } }).success).toBe(true);
    expect(ToolSchema.safeParse({ name: 't', inputSchema: { type: 'string' } }).success).toBe(false);
  });

  it('should parse a paginated tools/list result and a discover result', () => {
    expect(
      ListToolsResultSchema.parse({ tools: [], nextCursor: 'abc', ttlMs: 0, cacheScope: 'public' })
        .nextCursor,
    ).toBe('abc');
    expect(DiscoverResultSchema.safeParse({ supportedVersions: [], capabilities: {} }).success).toBe(false);
    expect(
      DiscoverResultSchema.safeParse({
        resultType: 'complete',
        supportedVersions: ['2026-07-28'],
        capabilities: {},
      }).success,
    ).toBe(true);
  });

  it('should require inputRequests or requestState in an InputRequiredResult', () => {
    expect(InputRequiredResultSchema.safeParse({ resultType: 'input_required' }).success).toBe(false);
    expect(
      InputRequiredResultSchema.safeParse({ resultType: 'input_required', requestState: 's' }).success,
    ).toBe(true);
  });
});
