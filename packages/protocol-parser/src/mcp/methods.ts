import type { z } from 'zod';
import { JsonRpcError, JsonRpcErrorCode } from '../errors.js';
import {
  CallToolRequestParamsSchema,
  CallToolResultSchema,
  CancelledNotificationParamsSchema,
  type ClientCapabilities,
  ClientCapabilitiesSchema,
  CompleteRequestParamsSchema,
  CompleteResultSchema,
  DiscoverRequestParamsSchema,
  DiscoverResultSchema,
  EmptyResultSchema,
  GetPromptRequestParamsSchema,
  GetPromptResultSchema,
  type Implementation,
  ImplementationSchema,
  InitializeRequestParamsSchema,
  InitializeResultSchema,
  ListChangedNotificationParamsSchema,
  ListPromptsRequestParamsSchema,
  ListPromptsResultSchema,
  ListResourcesRequestParamsSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesRequestParamsSchema,
  ListResourceTemplatesResultSchema,
  ListToolsRequestParamsSchema,
  ListToolsResultSchema,
  type LoggingLevel,
  LoggingLevelSchema,
  LoggingMessageNotificationParamsSchema,
  META_KEYS,
  ProgressNotificationParamsSchema,
  ReadResourceRequestParamsSchema,
  ReadResourceResultSchema,
  RequestParamsSchema,
  ResourceSubscriptionParamsSchema,
  ResourceUpdatedNotificationParamsSchema,
  SetLevelRequestParamsSchema,
  SubscriptionsAcknowledgedNotificationParamsSchema,
  SubscriptionsListenRequestParamsSchema,
} from './schemas.js';
import {
  isSupportedProtocolVersion,
  type ProtocolEra,
  protocolEra,
  unsupportedProtocolVersionError,
} from './versions.js';

interface RequestMethodSpec {
  /** Eras in which the method exists. */
  eras: readonly ProtocolEra[];
  params: z.ZodType;
  result: z.ZodType;
}

interface NotificationMethodSpec {
  eras: readonly ProtocolEra[];
  params: z.ZodType;
}

const BOTH: readonly ProtocolEra[] = ['legacy', 'modern'];
const LEGACY: readonly ProtocolEra[] = ['legacy'];
const MODERN: readonly ProtocolEra[] = ['modern'];

/**
 * Client-to-server requests of MCP, with the eras they exist in and their params/result schemas.
 * `initialize`, `ping`, `logging/setLevel` and `resources/(un)subscribe` were removed in 2026-07-28
 * (changelog, major changes 2, 4 and 5); `server/discover` and `subscriptions/listen` were added.
 */
export const MCP_REQUEST_METHODS = {
  initialize: { eras: LEGACY, params: InitializeRequestParamsSchema, result: InitializeResultSchema },
  ping: { eras: LEGACY, params: RequestParamsSchema, result: EmptyResultSchema },
  'server/discover': { eras: MODERN, params: DiscoverRequestParamsSchema, result: DiscoverResultSchema },
  'subscriptions/listen': {
    eras: MODERN,
    params: SubscriptionsListenRequestParamsSchema,
    result: EmptyResultSchema,
  },
  'tools/list': { eras: BOTH, params: ListToolsRequestParamsSchema, result: ListToolsResultSchema },
  'tools/call': { eras: BOTH, params: CallToolRequestParamsSchema, result: CallToolResultSchema },
  'resources/list': {
    eras: BOTH,
    params: ListResourcesRequestParamsSchema,
    result: ListResourcesResultSchema,
  },
  'resources/templates/list': {
    eras: BOTH,
    params: ListResourceTemplatesRequestParamsSchema,
    result: ListResourceTemplatesResultSchema,
  },
  'resources/read': { eras: BOTH, params: ReadResourceRequestParamsSchema, result: ReadResourceResultSchema },
  'resources/subscribe': {
    eras: LEGACY,
    params: ResourceSubscriptionParamsSchema,
    result: EmptyResultSchema,
  },
  'resources/unsubscribe': {
    eras: LEGACY,
    params: ResourceSubscriptionParamsSchema,
    result: EmptyResultSchema,
  },
  'prompts/list': { eras: BOTH, params: ListPromptsRequestParamsSchema, result: ListPromptsResultSchema },
  'prompts/get': { eras: BOTH, params: GetPromptRequestParamsSchema, result: GetPromptResultSchema },
  'logging/setLevel': { eras: LEGACY, params: SetLevelRequestParamsSchema, result: EmptyResultSchema },
  'completion/complete': { eras: BOTH, params: CompleteRequestParamsSchema, result: CompleteResultSchema },
} as const satisfies Record<string, RequestMethodSpec>;

/** Notifications of MCP (either direction), with the eras they exist in and their params schemas. */
export const MCP_NOTIFICATION_METHODS = {
  'notifications/initialized': { eras: LEGACY, params: ListChangedNotificationParamsSchema },
  'notifications/cancelled': { eras: BOTH, params: CancelledNotificationParamsSchema },
  'notifications/progress': { eras: BOTH, params: ProgressNotificationParamsSchema },
  'notifications/message': { eras: BOTH, params: LoggingMessageNotificationParamsSchema },
  'notifications/tools/list_changed': { eras: BOTH, params: ListChangedNotificationParamsSchema },
  'notifications/prompts/list_changed': { eras: BOTH, params: ListChangedNotificationParamsSchema },
  'notifications/resources/list_changed': { eras: BOTH, params: ListChangedNotificationParamsSchema },
  'notifications/resources/updated': { eras: BOTH, params: ResourceUpdatedNotificationParamsSchema },
  'notifications/roots/list_changed': { eras: LEGACY, params: ListChangedNotificationParamsSchema },
  'notifications/subscriptions/acknowledged': {
    eras: MODERN,
    params: SubscriptionsAcknowledgedNotificationParamsSchema,
  },
} as const satisfies Record<string, NotificationMethodSpec>;

export type McpRequestMethod = keyof typeof MCP_REQUEST_METHODS;
export type McpNotificationMethod = keyof typeof MCP_NOTIFICATION_METHODS;

/** The params type of an MCP request method, as parsed by its schema. */
export type McpRequestParams<M extends McpRequestMethod> = z.infer<(typeof MCP_REQUEST_METHODS)[M]['params']>;
/** The result type of an MCP request method, as parsed by its schema. */
export type McpResult<M extends McpRequestMethod> = z.infer<(typeof MCP_REQUEST_METHODS)[M]['result']>;

/** True if `method` is an MCP request method that exists in `era`. */
export function isMethodInEra(method: string, era: ProtocolEra): boolean {
  const spec = (MCP_REQUEST_METHODS as Record<string, RequestMethodSpec>)[method];
  return spec?.eras.includes(era) ?? false;
}

/** The per-request protocol fields of a modern request, read from `params._meta`. */
export interface ModernRequestContext {
  protocolVersion: string;
  clientCapabilities: ClientCapabilities;
  clientInfo: Implementation | undefined;
  logLevel: LoggingLevel | undefined;
}

/**
 * True if a request (its `params`) carries modern per-request metadata, i.e. a string
 * `io.modelcontextprotocol/protocolVersion` in `_meta`. A dual-era server serves such a request
 * statelessly under 2026-07-28 rules (2026-07-28 basic/versioning §Backward Compatibility).
 */
export function isModernRequest(params: unknown): boolean {
  if (typeof params !== 'object' || params === null) return false;
  const meta = (params as { _meta?: unknown })._meta;
  return (
    typeof meta === 'object' &&
    meta !== null &&
    typeof (meta as Record<string, unknown>)[META_KEYS.PROTOCOL_VERSION] === 'string'
  );
}

/**
 * Reads and checks the required per-request fields of a modern request (2026-07-28 basic/index §_meta,
 * "Per-request protocol fields"): a missing or malformed required field is `-32602 Invalid params`; a
 * version the server does not implement is `-32022 UnsupportedProtocolVersion` listing `supported`
 * (basic/versioning). Both go with HTTP status 400.
 *
 * @param supported versions the server accepts on modern requests.
 * @example
 * const read = readModernMeta(request.params, ['2026-07-28']);
 * if (!read.ok) return errorResponse(request.id, read.error);
 */
export function readModernMeta(
  params: unknown,
  supported: readonly string[],
): { ok: true; context: ModernRequestContext } | { ok: false; error: JsonRpcError } {
  const meta =
    typeof params === 'object' && params !== null && !Array.isArray(params)
      ? (params as { _meta?: unknown })._meta
      : undefined;
  const fail = (message: string): { ok: false; error: JsonRpcError } => ({
    ok: false,
    error: new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, message),
  });
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    return fail(
      `Missing params._meta with the required "${META_KEYS.PROTOCOL_VERSION}" and "${META_KEYS.CLIENT_CAPABILITIES}"`,
    );
  }
  const record = meta as Record<string, unknown>;
  const version = record[META_KEYS.PROTOCOL_VERSION];
  if (typeof version !== 'string')
    return fail(`Missing or non-string _meta["${META_KEYS.PROTOCOL_VERSION}"]`);
  const capabilities = ClientCapabilitiesSchema.safeParse(record[META_KEYS.CLIENT_CAPABILITIES]);
  if (!capabilities.success) {
    return fail(`Missing or invalid _meta["${META_KEYS.CLIENT_CAPABILITIES}"]: an object is required`);
  }
  const clientInfoRaw = record[META_KEYS.CLIENT_INFO];
  const clientInfo = clientInfoRaw === undefined ? undefined : ImplementationSchema.safeParse(clientInfoRaw);
  if (clientInfo && !clientInfo.success) {
    return fail(`Invalid _meta["${META_KEYS.CLIENT_INFO}"]: "name" and "version" strings are required`);
  }
  const logLevelRaw = record[META_KEYS.LOG_LEVEL];
  const logLevel = logLevelRaw === undefined ? undefined : LoggingLevelSchema.safeParse(logLevelRaw);
  if (logLevel && !logLevel.success)
    return fail(`Invalid _meta["${META_KEYS.LOG_LEVEL}"]: ${String(logLevelRaw)}`);
  if (
    !supported.includes(version) ||
    protocolEra(version) !== 'modern' ||
    !isSupportedProtocolVersion(version)
  ) {
    return { ok: false, error: unsupportedProtocolVersionError(version, supported) };
  }
  return {
    ok: true,
    context: {
      protocolVersion: version,
      clientCapabilities: capabilities.data,
      clientInfo: clientInfo?.data,
      logLevel: logLevel?.data,
    },
  };
}

/**
 * Builds the `_meta` a modern client puts on every request (2026-07-28 basic/index §_meta).
 *
 * @example
 * endpoint.request('tools/list', { _meta: modernRequestMeta('2026-07-28', {}, { name: 'me', version: '1' }) });
 */
export function modernRequestMeta(
  protocolVersion: string,
  clientCapabilities: ClientCapabilities,
  clientInfo?: Implementation,
): Record<string, unknown> {
  const meta: Record<string, unknown> = {
    [META_KEYS.PROTOCOL_VERSION]: protocolVersion,
    [META_KEYS.CLIENT_CAPABILITIES]: clientCapabilities,
  };
  if (clientInfo) meta[META_KEYS.CLIENT_INFO] = clientInfo;
  return meta;
}

/**
 * The `resultType` of a received result: absent means `"complete"` (2026-07-28 basic/index §ResultType:
 * results from earlier-protocol servers omit it). Any value outside `known` is invalid and returns
 * `undefined`, which the caller must treat as an error.
 */
export function readResultType(
  result: unknown,
  known: readonly string[] = ['complete', 'input_required'],
): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const resultType = (result as { resultType?: unknown }).resultType;
  if (resultType === undefined) return 'complete';
  return typeof resultType === 'string' && known.includes(resultType) ? resultType : undefined;
}
