import { JsonRpcError, JsonRpcErrorCode } from '../errors.js';

/**
 * Legacy protocol versions: sessions start with an `initialize` handshake (MCP 2026-07-28 basic/versioning
 * §Terminology: "Legacy: ... 2025-11-25 and earlier"). Oldest first.
 */
export const LEGACY_PROTOCOL_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'] as const;

/**
 * Modern protocol versions: stateless, every request carries its version and capabilities in `_meta`
 * (MCP 2026-07-28 basic/versioning §Terminology: "revision 2026-07-28 and later"). Oldest first.
 */
export const MODERN_PROTOCOL_VERSIONS = ['2026-07-28'] as const;

export type LegacyProtocolVersion = (typeof LEGACY_PROTOCOL_VERSIONS)[number];
export type ModernProtocolVersion = (typeof MODERN_PROTOCOL_VERSIONS)[number];
export type ProtocolVersion = LegacyProtocolVersion | ModernProtocolVersion;

/** The newest version overall, and the newest legacy version (what `initialize` settles on by default). */
export const LATEST_PROTOCOL_VERSION: ModernProtocolVersion = '2026-07-28';
export const LATEST_LEGACY_PROTOCOL_VERSION: LegacyProtocolVersion = '2025-11-25';

/** Every version this package understands, newest first (the order `supported` lists use on the wire). */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly ProtocolVersion[] = [
  ...LEGACY_PROTOCOL_VERSIONS,
  ...MODERN_PROTOCOL_VERSIONS,
].reverse();

/** `"legacy"` (handshake-based) or `"modern"` (stateless, per-request `_meta`). */
export type ProtocolEra = 'legacy' | 'modern';

const VERSION_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The era of a protocol version string. Versions are dates, so an unknown but well-formed version is
 * classified by date: on or after 2026-07-28 it is modern. Anything that is not a `YYYY-MM-DD` string has
 * no era (`undefined`).
 *
 * @example
 * protocolEra('2025-06-18'); // 'legacy'
 * protocolEra('2027-01-01'); // 'modern' (unknown, but newer than the first modern revision)
 */
export function protocolEra(version: unknown): ProtocolEra | undefined {
  if (typeof version !== 'string' || !VERSION_PATTERN.test(version)) return undefined;
  return version >= MODERN_PROTOCOL_VERSIONS[0] ? 'modern' : 'legacy';
}

/** True if `version` is one this package implements. */
export function isSupportedProtocolVersion(version: unknown): version is ProtocolVersion {
  return typeof version === 'string' && (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(version);
}

/**
 * What a server answers in `InitializeResult.protocolVersion` (MCP 2025-11-25 basic/lifecycle §Version
 * Negotiation): the requested version if the server supports it, otherwise the latest legacy version the
 * server supports. The client then decides whether it can speak that version or must disconnect.
 * Modern versions are never the answer to `initialize`: a client that asks `initialize` for 2026-07-28 gets
 * the newest legacy version back (modern versions have no handshake).
 *
 * @param supported the server's legacy versions, in any order. @default LEGACY_PROTOCOL_VERSIONS
 * @example
 * negotiateInitializeVersion('2025-03-26'); // '2025-03-26'
 * negotiateInitializeVersion('1999-01-01'); // '2025-11-25'
 */
export function negotiateInitializeVersion(
  requested: unknown,
  supported: readonly string[] = LEGACY_PROTOCOL_VERSIONS,
): string {
  const legacy = supported.filter((version) => protocolEra(version) === 'legacy');
  if (legacy.length === 0) {
    throw new TypeError('negotiateInitializeVersion: `supported` contains no legacy protocol version');
  }
  if (typeof requested === 'string' && legacy.includes(requested)) return requested;
  return [...legacy].sort().at(-1) as string;
}

/**
 * Whether JSON-RPC batches (top-level arrays) are allowed under `version`. Only 2025-03-26 allowed them:
 * they were added in that revision and removed again in 2025-06-18 (its changelog, "Remove support for
 * JSON-RPC batching"). Later revisions, including 2026-07-28, have none.
 */
export function supportsBatching(version: string | undefined): boolean {
  return version === '2025-03-26';
}

/**
 * Picks the version a client should use against a modern server: the newest version in both lists, or
 * `undefined` if they share none (MCP 2026-07-28 basic/versioning §Protocol Version Negotiation).
 */
export function selectCommonVersion(
  serverSupported: readonly string[],
  clientSupported: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS,
): string | undefined {
  const common = serverSupported.filter((version) => clientSupported.includes(version));
  return common.sort().at(-1);
}

/**
 * The `UnsupportedProtocolVersionError` (-32022) a modern server returns for a version it does not
 * implement, listing what it supports (MCP 2026-07-28 basic/versioning §Protocol Version Negotiation;
 * schema `UnsupportedProtocolVersionError`). On HTTP it goes with status 400.
 */
export function unsupportedProtocolVersionError(
  requested: string,
  supported: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS,
): JsonRpcError {
  return new JsonRpcError(JsonRpcErrorCode.UNSUPPORTED_PROTOCOL_VERSION, 'Unsupported protocol version', {
    supported: [...supported],
    requested,
  });
}

/** Error codes that only a modern (2026-07-28+) server sends; receiving one identifies a modern server. */
export const MODERN_ERROR_CODES: readonly number[] = [
  JsonRpcErrorCode.HEADER_MISMATCH,
  JsonRpcErrorCode.MISSING_REQUIRED_CLIENT_CAPABILITY,
  JsonRpcErrorCode.UNSUPPORTED_PROTOCOL_VERSION,
];

/**
 * Interprets the outcome of a `server/discover` probe sent by a dual-era client (MCP 2026-07-28
 * basic/transports/stdio §Backward Compatibility): a `DiscoverResult` or a recognised modern error means a
 * modern server; any other error, or no answer within a reasonable time, means a legacy server. The
 * decision is deliberately not keyed to one error code.
 *
 * @param outcome `{ result }` when the probe answered, `{ error }` when it failed (a `JsonRpcError` from the
 *   peer, or anything else such as a local timeout).
 */
export function serverEraFromProbe(outcome: { result: unknown } | { error: unknown }): ProtocolEra {
  if ('result' in outcome) {
    const result = outcome.result as { supportedVersions?: unknown } | null;
    return result && Array.isArray(result.supportedVersions) ? 'modern' : 'legacy';
  }
  const error = outcome.error;
  return JsonRpcError.isInstance(error) && MODERN_ERROR_CODES.includes(error.code) ? 'modern' : 'legacy';
}
