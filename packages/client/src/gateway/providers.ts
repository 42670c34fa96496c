import { type CallToolResult, JsonRpcError, JsonRpcErrorCode, type Tool } from '@mimo-mcp/protocol-parser';
import type {
  DefinedTool,
  PromptProvider,
  ResourceProvider,
  ToolProvider,
} from '@mimo-mcp/protocol-parser/server';
import { ClientError } from '../errors.js';
import type { SkillGateway } from './gateway.js';
import { EXPOSED_URI_PREFIX } from './names.js';

export interface GatewayProvidersOptions {
  /** The server's own tools. A call is routed to one of them by name before the gateway is asked. */
  tools?: readonly DefinedTool[];
  /**
   * What `tools/list` shows (a short profile may list fewer tools than can be called).
   * @default every own tool, then every gateway tool
   */
  listTools?: () => readonly Tool[];
  /**
   * The server's own resources: listed before the gateway's; every URI that is not a gateway URI
   * (`mimo-skill://…`) is read here, so its `read` throws `JsonRpcError(-32002)` for one it does not know.
   */
  resources?: ResourceProvider;
}

/** What {@link gatewayProviders} returns: the providers an `McpServer` takes. */
export interface GatewayProviders {
  tools: ToolProvider;
  resources: ResourceProvider;
  prompts: PromptProvider;
}

/**
 * A gateway failure as the JSON-RPC error a client should see: a name or URI nothing answers to is the
 * client's mistake (`notFound`), as is an invalid parameter a skill refused; the rest stays internal.
 */
function gatewayWireError(error: unknown, notFound: number, data?: Record<string, unknown>): unknown {
  if (!ClientError.isInstance(error)) return error;
  if (error.code === 'UNKNOWN_NAME') return new JsonRpcError(notFound, error.message, data);
  if (error.code === 'INVALID_ARGUMENT')
    return new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, error.message);
  if (
    error.code === 'REMOTE_ERROR' &&
    (error.remoteCode === JsonRpcErrorCode.INVALID_PARAMS ||
      error.remoteCode === JsonRpcErrorCode.RESOURCE_NOT_FOUND)
  ) {
    return new JsonRpcError(error.remoteCode, error.message, error.data?.remote ?? data);
  }
  return error;
}

/**
 * The tools, resources and prompts providers that serve a gateway (and a server's own tools and resources
 * beside it) through an `McpServer`. A tool call goes to the own tool of that name, else to the gateway: an
 * unknown name is a protocol error (`-32602`), any other gateway failure an `isError` result with its
 * message, as the specification asks for tool failures. Resources and prompts are delegated the same way,
 * with a gateway `UNKNOWN_NAME` as `-32002` (resources) or `-32602` (prompts). Observe gateway calls with
 * the gateway's `tool-call` event.
 *
 * @example
 * const gateway = await createSkillGateway({ config: 'mcp.json' });
 * const server = new McpServer({
 *   serverInfo: { name: 'my-gateway', version: '1.0.0' },
 *   ...gatewayProviders(gateway, { tools: [myTool] }),
 * });
 */
export function gatewayProviders(
  gateway: SkillGateway,
  options: GatewayProvidersOptions = {},
): GatewayProviders {
  const own = new Map((options.tools ?? []).map((tool) => [tool.definition.name, tool]));
  const ownResources = options.resources;
  const tools: ToolProvider = {
    list: () =>
      options.listTools?.() ?? [...[...own.values()].map((tool) => tool.definition), ...gateway.listTools()],
    async call(name, args, scope): Promise<CallToolResult> {
      const tool = own.get(name);
      if (tool) return tool.call(args, scope);
      try {
        // A skill still starting is waited for (within the call's timeout) before a name is judged unknown.
        return await gateway.callTool(name, args, {
          signal: scope.signal,
          onProgress: (progress) => void scope.sendProgress(progress),
        });
      } catch (error) {
        if (ClientError.isInstance(error) && error.code === 'UNKNOWN_NAME') {
          throw new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, `Unknown tool: ${name}`);
        }
        const message = ClientError.isInstance(error) ? error.message : String(error);
        return { content: [{ type: 'text', text: message }], isError: true };
      }
    },
  };
  const resources: ResourceProvider = {
    list: async (scope) => [...((await ownResources?.list(scope)) ?? []), ...gateway.listResources()],
    read: async (uri, scope) => {
      if (uri.startsWith(EXPOSED_URI_PREFIX)) {
        return gateway.readResource(uri, { signal: scope.signal }).catch((error: unknown) => {
          throw gatewayWireError(error, JsonRpcErrorCode.RESOURCE_NOT_FOUND, { uri });
        });
      }
      if (ownResources) return ownResources.read(uri, scope);
      throw new JsonRpcError(JsonRpcErrorCode.RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
    },
  };
  const prompts: PromptProvider = {
    list: () => gateway.listPrompts(),
    get: (name, args, scope) =>
      gateway.getPrompt(name, args, { signal: scope.signal }).catch((error: unknown) => {
        throw gatewayWireError(error, JsonRpcErrorCode.INVALID_PARAMS);
      }),
  };
  return { tools, resources, prompts };
}
