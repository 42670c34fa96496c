export { createInMemoryTransportPair, type Transport } from '@mimo-mcp/protocol-parser';
export { ClientError, type ClientErrorCode } from './errors.js';
export {
  type GatewayConfig,
  GatewayConfigSchema,
  type HttpSkillConfig,
  loadGatewayConfig,
  parseGatewayConfig,
  type ResolvedGatewayConfig,
  type SkillConfig,
  SkillConfigSchema,
  type StdioSkillConfig,
} from './gateway/config.js';
export {
  createSkillGateway,
  GATEWAY_META_KEY,
  type GatewayTool,
  type ReloadResult,
  type SkillGateway,
  type SkillGatewayEvents,
  type SkillGatewayOptions,
  type ToolCallEvent,
} from './gateway/gateway.js';
export { EXPOSED_NAME_PATTERN, exposedName, exposedUri, NameRegistry, resolveUri } from './gateway/names.js';
export {
  type GatewayProviders,
  type GatewayProvidersOptions,
  gatewayProviders,
} from './gateway/providers.js';
export type { SkillDefaults, SkillHealth, SkillStatus } from './gateway/skill.js';
export {
  type SkillConfigIssue,
  type ValidateSkillConfigOptions,
  validateSkillConfig,
} from './gateway/skill-spec.js';
export { type ToolEmbedder, ToolFinder, type ToolMatch } from './gateway/tool-finder.js';
export { watchConfigFile } from './gateway/watch.js';
export {
  type CallOptions,
  McpClient,
  type McpClientEvents,
  type McpClientOptions,
  type ServerDescription,
  toClientError,
  type VersionNegotiation,
} from './mcp-client.js';
export { createHttpTransport, type HttpTransportOptions } from './transports/http.js';
export { createStdioTransport, type StdioPipes } from './transports/stdio.js';
