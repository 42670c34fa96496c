/**
 * `@mimo-mcp/protocol-parser/server`: `McpServer`, its registries (tool, resource and prompt providers),
 * session types, and `defineTool`. The wire level (JSON-RPC, MCP schemas, framing, transports) stays on the
 * root entry.
 */
export { type DefinedTool, defineTool } from './define-tool.js';
export {
  McpServer,
  type McpServerEvents,
  type McpServerOptions,
  McpSession,
  type PromptProvider,
  type RequestScope,
  type ResourceProvider,
  type ToolCallScope,
  type ToolProvider,
} from './mcp-server.js';
