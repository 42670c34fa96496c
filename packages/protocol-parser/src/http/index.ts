/**
 * `@mimo-mcp/protocol-parser/http`: the Streamable HTTP side of an MCP server on Node's `node:http`, the
 * handler, the request gate every route shares, and the security checks it is built from.
 */
export {
  HttpRejection,
  HttpTransportErrorCode,
  writeHttpRejection,
  writeUpgradeRejection,
} from './http-rejection.js';
export { createRequestGate, type RequestGate, type RequestGateOptions } from './request-gate.js';
export {
  checkOrigin,
  createBearerVerifier,
  hostnameOf,
  isLoopbackHostname,
  type OriginVerdict,
  RateLimiter,
  type RateLimitOptions,
} from './security.js';
export {
  createMcpHttpHandler,
  type McpHttpEvents,
  type McpHttpHandler,
  type McpHttpHandlerOptions,
  type McpHttpRequestInfo,
} from './streamable-http.js';
