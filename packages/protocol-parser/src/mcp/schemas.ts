/**
 * zod schemas of MCP messages for both protocol eras. Section references are to the specification at
 * modelcontextprotocol.io/specification/<revision>/..., and to the revision's `schema.ts` (the source of
 * truth for message shapes). Objects are "loose" (unknown members are kept) because every MCP revision adds
 * optional fields and a gateway must forward what it does not understand.
 */
import { z } from 'zod';
import { RequestIdSchema } from '../jsonrpc/messages.js';

// ---------------------------------------------------------------------------------------------------------
// Common types (2025-11-25 and 2026-07-28 schema.ts, "Common Types")
// ---------------------------------------------------------------------------------------------------------

/** `_meta`: free-form metadata; some keys are reserved by MCP (2026-07-28 basic/index §_meta). */
export const MetaSchema = z.record(z.string(), z.unknown());

/** A progress token (schema `ProgressToken`): string or number. */
export const ProgressTokenSchema = z.union([z.string(), z.number()]);

/** An opaque pagination cursor (schema `Cursor`; 2025-11-25 server/utilities/pagination). */
export const CursorSchema = z.string();

/** An icon (schema `Icon`, 2025-11-25 and later; basic/index §icons). */
export const IconSchema = z.looseObject({
  src: z.string(),
  mimeType: z.string().optional(),
  sizes: z.array(z.string()).optional(),
  theme: z.enum(['light', 'dark']).optional(),
});

/** Describes a client or server implementation (schema `Implementation`). */
export const ImplementationSchema = z.looseObject({
  name: z.string(),
  title: z.string().optional(),
  version: z.string(),
  description: z.string().optional(),
  websiteUrl: z.string().optional(),
  icons: z.array(IconSchema).optional(),
});

const JsonObjectSchema = z.record(z.string(), z.unknown());

/** What a client supports (schema `ClientCapabilities`; an open set, so unknown members are kept). */
export const ClientCapabilitiesSchema = z.looseObject({
  experimental: z.record(z.string(), JsonObjectSchema).optional(),
  roots: z.looseObject({ listChanged: z.boolean().optional() }).optional(),
  sampling: JsonObjectSchema.optional(),
  elicitation: JsonObjectSchema.optional(),
  extensions: z.record(z.string(), JsonObjectSchema).optional(),
});

/** What a server supports (schema `ServerCapabilities`; an open set, so unknown members are kept). */
export const ServerCapabilitiesSchema = z.looseObject({
  experimental: z.record(z.string(), JsonObjectSchema).optional(),
  logging: JsonObjectSchema.optional(),
  completions: JsonObjectSchema.optional(),
  prompts: z.looseObject({ listChanged: z.boolean().optional() }).optional(),
  resources: z
    .looseObject({ subscribe: z.boolean().optional(), listChanged: z.boolean().optional() })
    .optional(),
  tools: z.looseObject({ listChanged: z.boolean().optional() }).optional(),
  extensions: z.record(z.string(), JsonObjectSchema).optional(),
});

/** Log severities, RFC 5424 (schema `LoggingLevel`; 2025-11-25 server/utilities/logging). */
export const LoggingLevelSchema = z.enum([
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
]);

/** Reserved `_meta` keys of the modern era (2026-07-28 basic/index §_meta, "Per-request protocol fields"). */
export const META_KEYS = {
  PROTOCOL_VERSION: 'io.modelcontextprotocol/protocolVersion',
  CLIENT_INFO: 'io.modelcontextprotocol/clientInfo',
  CLIENT_CAPABILITIES: 'io.modelcontextprotocol/clientCapabilities',
  LOG_LEVEL: 'io.modelcontextprotocol/logLevel',
  SERVER_INFO: 'io.modelcontextprotocol/serverInfo',
  SUBSCRIPTION_ID: 'io.modelcontextprotocol/subscriptionId',
} as const;

/**
 * `_meta` of a modern request (2026-07-28 schema `RequestMetaObject`): `protocolVersion` and
 * `clientCapabilities` are required on every request; `clientInfo` and `logLevel` are optional.
 */
export const ModernRequestMetaSchema = z.looseObject({
  progressToken: ProgressTokenSchema.optional(),
  [META_KEYS.PROTOCOL_VERSION]: z.string(),
  [META_KEYS.CLIENT_CAPABILITIES]: ClientCapabilitiesSchema,
  [META_KEYS.CLIENT_INFO]: ImplementationSchema.optional(),
  [META_KEYS.LOG_LEVEL]: LoggingLevelSchema.optional(),
});

/** `_meta` of a legacy request: only `progressToken` is defined (2025-11-25 schema `RequestParams`). */
export const LegacyRequestMetaSchema = z.looseObject({ progressToken: ProgressTokenSchema.optional() });

/**
 * Common params of any request, either era. The modern `_meta` requirements are checked separately by
 * `readModernMeta`, because whether they apply depends on how the connection was opened.
 */
export const RequestParamsSchema = z.looseObject({ _meta: MetaSchema.optional() });

/**
 * `resultType` (2026-07-28 basic/index §ResultType): `"complete"`, `"input_required"`, or a value an
 * advertised extension adds. Absent means `"complete"` (results from legacy servers).
 */
export const ResultTypeSchema = z.string();

/** Common result members (schema `Result`). `resultType` is required from 2026-07-28 on. */
export const ResultSchema = z.looseObject({
  _meta: MetaSchema.optional(),
  resultType: ResultTypeSchema.optional(),
});

/** Empty result, e.g. of `ping` (schema `EmptyResult`). */
export const EmptyResultSchema = ResultSchema;

/**
 * Cache hints required on list and read results from 2026-07-28 on (schema `CacheableResult`). Optional
 * here so the same schema reads legacy results too.
 */
const CacheableFields = {
  ttlMs: z.number().min(0).optional(),
  cacheScope: z.enum(['public', 'private']).optional(),
};

/** Common params of a paginated request (schema `PaginatedRequestParams`; server/utilities/pagination). */
export const PaginatedRequestParamsSchema = RequestParamsSchema.extend({ cursor: CursorSchema.optional() });

/** Annotations on content and resources (schema `Annotations`). */
export const AnnotationsSchema = z.looseObject({
  audience: z.array(z.enum(['user', 'assistant'])).optional(),
  priority: z.number().min(0).max(1).optional(),
  lastModified: z.string().optional(),
});

// ---------------------------------------------------------------------------------------------------------
// Content (schema "Content"; 2025-11-25 server/tools §Tool Result)
// ---------------------------------------------------------------------------------------------------------

export const TextContentSchema = z.looseObject({
  type: z.literal('text'),
  text: z.string(),
  annotations: AnnotationsSchema.optional(),
  _meta: MetaSchema.optional(),
});

export const ImageContentSchema = z.looseObject({
  type: z.literal('image'),
  data: z.string(),
  mimeType: z.string(),
  annotations: AnnotationsSchema.optional(),
  _meta: MetaSchema.optional(),
});

export const AudioContentSchema = z.looseObject({
  type: z.literal('audio'),
  data: z.string(),
  mimeType: z.string(),
  annotations: AnnotationsSchema.optional(),
  _meta: MetaSchema.optional(),
});

/** Resource contents (schema `TextResourceContents` / `BlobResourceContents`). */
export const TextResourceContentsSchema = z.looseObject({
  uri: z.string(),
  mimeType: z.string().optional(),
  text: z.string(),
  _meta: MetaSchema.optional(),
});

export const BlobResourceContentsSchema = z.looseObject({
  uri: z.string(),
  mimeType: z.string().optional(),
  blob: z.string(),
  _meta: MetaSchema.optional(),
});

export const ResourceContentsSchema = z.union([TextResourceContentsSchema, BlobResourceContentsSchema]);

/** A known resource (schema `Resource`; 2025-11-25 server/resources). */
export const ResourceSchema = z.looseObject({
  uri: z.string(),
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  mimeType: z.string().optional(),
  size: z.number().optional(),
  annotations: AnnotationsSchema.optional(),
  icons: z.array(IconSchema).optional(),
  _meta: MetaSchema.optional(),
});

export const ResourceLinkSchema = ResourceSchema.extend({ type: z.literal('resource_link') });

export const EmbeddedResourceSchema = z.looseObject({
  type: z.literal('resource'),
  resource: ResourceContentsSchema,
  annotations: AnnotationsSchema.optional(),
  _meta: MetaSchema.optional(),
});

/** Any content block of a tool result or prompt message (schema `ContentBlock`). */
export const ContentBlockSchema = z.discriminatedUnion('type', [
  TextContentSchema,
  ImageContentSchema,
  AudioContentSchema,
  ResourceLinkSchema,
  EmbeddedResourceSchema,
]);

// ---------------------------------------------------------------------------------------------------------
// Lifecycle, legacy era (2025-11-25 basic/lifecycle; also 2024-11-05 .. 2025-06-18)
// ---------------------------------------------------------------------------------------------------------

/** `initialize` params (schema `InitializeRequestParams`). */
export const InitializeRequestParamsSchema = RequestParamsSchema.extend({
  protocolVersion: z.string(),
  capabilities: ClientCapabilitiesSchema,
  clientInfo: ImplementationSchema,
});

/** `initialize` result (schema `InitializeResult`). */
export const InitializeResultSchema = ResultSchema.extend({
  protocolVersion: z.string(),
  capabilities: ServerCapabilitiesSchema,
  serverInfo: ImplementationSchema,
  instructions: z.string().optional(),
});

// ---------------------------------------------------------------------------------------------------------
// Discovery and subscriptions, modern era (2026-07-28 server/discover, basic/patterns/subscriptions)
// ---------------------------------------------------------------------------------------------------------

/** `server/discover` params: only the per-request `_meta` (schema `DiscoverRequest`). */
export const DiscoverRequestParamsSchema = z.looseObject({ _meta: ModernRequestMetaSchema });

/** `server/discover` result (schema `DiscoverResult`, a `CacheableResult`). */
export const DiscoverResultSchema = ResultSchema.extend({
  supportedVersions: z.array(z.string()).min(1),
  capabilities: ServerCapabilitiesSchema,
  instructions: z.string().optional(),
  ...CacheableFields,
});

/** Which notification types a `subscriptions/listen` stream opts in to (schema `SubscriptionFilter`). */
export const SubscriptionFilterSchema = z.looseObject({
  toolsListChanged: z.boolean().optional(),
  promptsListChanged: z.boolean().optional(),
  resourcesListChanged: z.boolean().optional(),
  resourceSubscriptions: z.array(z.string()).optional(),
});

/** `subscriptions/listen` params (schema `SubscriptionsListenRequestParams`). */
export const SubscriptionsListenRequestParamsSchema = z.looseObject({
  _meta: ModernRequestMetaSchema,
  notifications: SubscriptionFilterSchema,
});

/** `notifications/subscriptions/acknowledged` params: the subset the server honours. */
export const SubscriptionsAcknowledgedNotificationParamsSchema = z.looseObject({
  _meta: MetaSchema.optional(),
  notifications: SubscriptionFilterSchema,
});

/**
 * An interim result asking the client for more input before it retries (schema `InputRequiredResult`;
 * 2026-07-28 basic/patterns/mrtr). At least one of `inputRequests` and `requestState` is present.
 */
export const InputRequiredResultSchema = ResultSchema.extend({
  resultType: z.literal('input_required'),
  inputRequests: z.record(z.string(), z.looseObject({ method: z.string() })).optional(),
  requestState: z.string().optional(),
}).refine(
  (value) => value.inputRequests !== undefined || value.requestState !== undefined,
  'An InputRequiredResult needs inputRequests or requestState',
);

// ---------------------------------------------------------------------------------------------------------
// Tools (2025-11-25 and 2026-07-28 server/tools)
// ---------------------------------------------------------------------------------------------------------

/** Behaviour hints of a tool (schema `ToolAnnotations`); hints only, never trusted for security. */
export const ToolAnnotationsSchema = z.looseObject({
  title: z.string().optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

/** A tool definition (schema `Tool`): `inputSchema` is a JSON Schema object with `type: "object"`. */
export const ToolSchema = z.looseObject({
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  inputSchema: z.looseObject({ type: z.literal('object'), $schema: z.string().optional() }),
  outputSchema: z.looseObject({ $schema: z.string().optional() }).optional(),
  annotations: ToolAnnotationsSchema.optional(),
  icons: z.array(IconSchema).optional(),
  _meta: MetaSchema.optional(),
});

/** `tools/list` params, with a cursor for pagination (schema `ListToolsRequest`). */
export const ListToolsRequestParamsSchema = PaginatedRequestParamsSchema;

/** `tools/list` result: a page of tools and the next cursor, if any (schema `ListToolsResult`). */
export const ListToolsResultSchema = ResultSchema.extend({
  tools: z.array(ToolSchema),
  nextCursor: CursorSchema.optional(),
  ...CacheableFields,
});

/** `tools/call` params (schema `CallToolRequestParams`; modern adds MRTR `inputResponses`/`requestState`). */
export const CallToolRequestParamsSchema = RequestParamsSchema.extend({
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  inputResponses: z.record(z.string(), z.unknown()).optional(),
  requestState: z.string().optional(),
});

/**
 * `tools/call` result (schema `CallToolResult`): unstructured `content`, optional `structuredContent`
 * (any JSON value from 2026-07-28, an object before), and `isError` for failures the model should see.
 * `content` defaults to `[]` so results from servers that omit it still parse.
 */
export const CallToolResultSchema = ResultSchema.extend({
  content: z.array(ContentBlockSchema).default([]),
  structuredContent: z.unknown().optional(),
  isError: z.boolean().optional(),
});

// ---------------------------------------------------------------------------------------------------------
// Resources (2025-11-25 and 2026-07-28 server/resources)
// ---------------------------------------------------------------------------------------------------------

export const ResourceTemplateSchema = z.looseObject({
  uriTemplate: z.string(),
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  mimeType: z.string().optional(),
  annotations: AnnotationsSchema.optional(),
  icons: z.array(IconSchema).optional(),
  _meta: MetaSchema.optional(),
});

export const ListResourcesRequestParamsSchema = PaginatedRequestParamsSchema;
export const ListResourcesResultSchema = ResultSchema.extend({
  resources: z.array(ResourceSchema),
  nextCursor: CursorSchema.optional(),
  ...CacheableFields,
});

export const ListResourceTemplatesRequestParamsSchema = PaginatedRequestParamsSchema;
export const ListResourceTemplatesResultSchema = ResultSchema.extend({
  resourceTemplates: z.array(ResourceTemplateSchema),
  nextCursor: CursorSchema.optional(),
  ...CacheableFields,
});

/** `resources/read` params (schema `ReadResourceRequestParams`). */
export const ReadResourceRequestParamsSchema = RequestParamsSchema.extend({ uri: z.string() });
export const ReadResourceResultSchema = ResultSchema.extend({
  contents: z.array(ResourceContentsSchema),
  ...CacheableFields,
});

/** `resources/subscribe` and `resources/unsubscribe` params (legacy only; replaced by subscriptions/listen). */
export const ResourceSubscriptionParamsSchema = RequestParamsSchema.extend({ uri: z.string() });

/** `notifications/resources/updated` params. */
export const ResourceUpdatedNotificationParamsSchema = RequestParamsSchema.extend({ uri: z.string() });

// ---------------------------------------------------------------------------------------------------------
// Prompts (2025-11-25 and 2026-07-28 server/prompts)
// ---------------------------------------------------------------------------------------------------------

export const PromptArgumentSchema = z.looseObject({
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  required: z.boolean().optional(),
});

export const PromptSchema = z.looseObject({
  name: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  arguments: z.array(PromptArgumentSchema).optional(),
  icons: z.array(IconSchema).optional(),
  _meta: MetaSchema.optional(),
});

export const PromptMessageSchema = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: ContentBlockSchema,
});

export const ListPromptsRequestParamsSchema = PaginatedRequestParamsSchema;
export const ListPromptsResultSchema = ResultSchema.extend({
  prompts: z.array(PromptSchema),
  nextCursor: CursorSchema.optional(),
  ...CacheableFields,
});

export const GetPromptRequestParamsSchema = RequestParamsSchema.extend({
  name: z.string(),
  arguments: z.record(z.string(), z.string()).optional(),
});
export const GetPromptResultSchema = ResultSchema.extend({
  description: z.string().optional(),
  messages: z.array(PromptMessageSchema),
});

// ---------------------------------------------------------------------------------------------------------
// Utilities: cancellation, progress, logging, completion, list_changed
// ---------------------------------------------------------------------------------------------------------

/**
 * `notifications/cancelled` params (2025-11-25 basic/utilities/cancellation; 2026-07-28
 * basic/patterns/cancellation). `requestId` is optional in 2025-11-25 (task cancellations use a task id).
 */
export const CancelledNotificationParamsSchema = z.looseObject({
  requestId: RequestIdSchema.optional(),
  reason: z.string().optional(),
  _meta: MetaSchema.optional(),
});

/** `notifications/progress` params (basic/utilities/progress). */
export const ProgressNotificationParamsSchema = z.looseObject({
  progressToken: ProgressTokenSchema,
  progress: z.number(),
  total: z.number().optional(),
  message: z.string().optional(),
  _meta: MetaSchema.optional(),
});

/** `logging/setLevel` params (legacy only; 2026-07-28 uses the per-request `logLevel` `_meta` key). */
export const SetLevelRequestParamsSchema = RequestParamsSchema.extend({ level: LoggingLevelSchema });

/** `notifications/message` params (server/utilities/logging). */
export const LoggingMessageNotificationParamsSchema = z.looseObject({
  level: LoggingLevelSchema,
  logger: z.string().optional(),
  data: z.unknown(),
  _meta: MetaSchema.optional(),
});

/** `completion/complete` params (server/utilities/completion). */
export const CompleteRequestParamsSchema = RequestParamsSchema.extend({
  ref: z.union([
    z.looseObject({ type: z.literal('ref/prompt'), name: z.string() }),
    z.looseObject({ type: z.literal('ref/resource'), uri: z.string() }),
  ]),
  argument: z.looseObject({ name: z.string(), value: z.string() }),
  context: z.looseObject({ arguments: z.record(z.string(), z.string()).optional() }).optional(),
});

export const CompleteResultSchema = ResultSchema.extend({
  completion: z.looseObject({
    values: z.array(z.string()).max(100),
    total: z.number().optional(),
    hasMore: z.boolean().optional(),
  }),
});

/** Params of `notifications/{tools,prompts,resources}/list_changed`: optional, `_meta` only. */
export const ListChangedNotificationParamsSchema = z.looseObject({ _meta: MetaSchema.optional() });

// ---------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------

export type Implementation = z.infer<typeof ImplementationSchema>;
export type ClientCapabilities = z.infer<typeof ClientCapabilitiesSchema>;
export type ServerCapabilities = z.infer<typeof ServerCapabilitiesSchema>;
export type LoggingLevel = z.infer<typeof LoggingLevelSchema>;
export type ContentBlock = z.infer<typeof ContentBlockSchema>;
export type TextContent = z.infer<typeof TextContentSchema>;
export type Tool = z.infer<typeof ToolSchema>;
export type ToolAnnotations = z.infer<typeof ToolAnnotationsSchema>;
export type CallToolRequestParams = z.infer<typeof CallToolRequestParamsSchema>;
export type CallToolResult = z.infer<typeof CallToolResultSchema>;
export type ListToolsResult = z.infer<typeof ListToolsResultSchema>;
export type Resource = z.infer<typeof ResourceSchema>;
export type ResourceTemplate = z.infer<typeof ResourceTemplateSchema>;
export type ResourceContents = z.infer<typeof ResourceContentsSchema>;
export type ReadResourceResult = z.infer<typeof ReadResourceResultSchema>;
export type ListResourcesResult = z.infer<typeof ListResourcesResultSchema>;
export type Prompt = z.infer<typeof PromptSchema>;
export type GetPromptResult = z.infer<typeof GetPromptResultSchema>;
export type ListPromptsResult = z.infer<typeof ListPromptsResultSchema>;
export type InitializeRequestParams = z.infer<typeof InitializeRequestParamsSchema>;
export type InitializeResult = z.infer<typeof InitializeResultSchema>;
export type DiscoverResult = z.infer<typeof DiscoverResultSchema>;
export type SubscriptionFilter = z.infer<typeof SubscriptionFilterSchema>;
export type ProgressNotificationParams = z.infer<typeof ProgressNotificationParamsSchema>;
export type CancelledNotificationParams = z.infer<typeof CancelledNotificationParamsSchema>;
export type LoggingMessageNotificationParams = z.infer<typeof LoggingMessageNotificationParamsSchema>;
export type ModernRequestMeta = z.infer<typeof ModernRequestMetaSchema>;
