import { describe, expect, it } from 'vitest';
import { JsonRpcError, JsonRpcErrorCode, ProtocolError } from '../errors.js';
import {
  isSupportedProtocolVersion,
  negotiateInitializeVersion,
  protocolEra,
  SUPPORTED_PROTOCOL_VERSIONS,
  selectCommonVersion,
  serverEraFromProbe,
  supportsBatching,
  unsupportedProtocolVersionError,
} from './versions.js';

describe('protocolEra', () => {
  it.each([
    ['2024-11-05', 'legacy'],
    ['2025-03-26', 'legacy'],
    ['2025-06-18', 'legacy'],
    ['2025-11-25', 'legacy'],
    ['2026-07-28', 'modern'],
    ['2027-03-01', 'modern'],
    ['2020-01-01', 'legacy'],
  ])('should put %s in the %s era', (version, era) => {
    expect(protocolEra(version)).toBe(era);
  });

  it.each(['latest', '2025-6-18', '', 20250618, null])(
    'should give no era to the malformed %j',
    (version) => {
      expect(protocolEra(version)).toBeUndefined();
    },
  );
});

describe('negotiateInitializeVersion', () => {
  it('should echo a supported legacy version', () => {
    for (const version of ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']) {
      expect(negotiateInitializeVersion(version)).toBe(version);
    }
  });

  it('should answer an unknown or modern version with the latest legacy version', () => {
    expect(negotiateInitializeVersion('1999-01-01')).toBe('2025-11-25');
    expect(negotiateInitializeVersion('2026-07-28')).toBe('2025-11-25');
    expect(negotiateInitializeVersion(undefined)).toBe('2025-11-25');
  });

  it('should answer with the latest of a restricted supported list', () => {
    expect(negotiateInitializeVersion('2025-11-25', ['2024-11-05', '2025-03-26'])).toBe('2025-03-26');
  });

  it('should refuse a supported list without a legacy version', () => {
    expect(() => negotiateInitializeVersion('x', ['2026-07-28'])).toThrow(/no legacy/);
  });
});

describe('supportsBatching', () => {
  it('should allow batches only under 2025-03-26', () => {
    expect(supportsBatching('2025-03-26')).toBe(true);
    for (const version of ['2024-11-05', '2025-06-18', '2025-11-25', '2026-07-28', undefined]) {
      expect(supportsBatching(version)).toBe(false);
    }
  });
});

describe('version lists and selection', () => {
  it('should list supported versions newest first', () => {
    expect(SUPPORTED_PROTOCOL_VERSIONS).toEqual([
      '2026-07-28',
      '2025-11-25',
      '2025-06-18',
      '2025-03-26',
      '2024-11-05',
    ]);
    expect(isSupportedProtocolVersion('2025-06-18')).toBe(true);
    expect(isSupportedProtocolVersion('2030-01-01')).toBe(false);
  });

  it('should pick the newest common version, or none', () => {
    expect(selectCommonVersion(['2026-07-28', '2030-01-01'])).toBe('2026-07-28');
    expect(selectCommonVersion(['2030-01-01'])).toBeUndefined();
  });
});

describe('unsupportedProtocolVersionError', () => {
  it('should carry -32022 with supported and requested versions', () => {
    const error = unsupportedProtocolVersionError('1900-01-01', ['2026-07-28', '2025-11-25']);
    expect(error.toWire()).toEqual({
      code: -32022,
      message: 'Unsupported protocol version',
      data: { supported: ['2026-07-28', '2025-11-25'], requested: '1900-01-01' },
    });
  });
});

describe('serverEraFromProbe', () => {
  it('should see a modern server in a DiscoverResult or a modern error', () => {
    expect(serverEraFromProbe({ result: { supportedVersions: ['2026-07-28'], capabilities: {} } })).toBe(
      'modern',
    );
    expect(serverEraFromProbe({ error: unsupportedProtocolVersionError('x') })).toBe('modern');
    expect(serverEraFromProbe({ error: new JsonRpcError(JsonRpcErrorCode.HEADER_MISMATCH, 'h') })).toBe(
      'modern',
    );
  });

  it('should see a legacy server in any other error, a timeout, or an odd result', () => {
    expect(serverEraFromProbe({ error: new JsonRpcError(-32601, 'Method not found') })).toBe('legacy');
    expect(serverEraFromProbe({ error: new JsonRpcError(-32602, 'Invalid params') })).toBe('legacy');
    expect(serverEraFromProbe({ error: new JsonRpcError(-32000, 'Server not initialized') })).toBe('legacy');
    expect(serverEraFromProbe({ error: new ProtocolError('TIMEOUT', 'no answer') })).toBe('legacy');
    expect(serverEraFromProbe({ result: {} })).toBe('legacy');
  });
});
