/**
 * The request headers of MCP's Streamable HTTP transport, lower-cased as Node and `fetch` report them.
 * `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` are the standard headers of 2026-07-28 (SEP-2243);
 * `Mcp-Session-Id` is the legacy (2025-11-25 and older) session.
 */
export const McpHttpHeader = {
  PROTOCOL_VERSION: 'mcp-protocol-version',
  METHOD: 'mcp-method',
  NAME: 'mcp-name',
  SESSION_ID: 'mcp-session-id',
} as const;

/** The body field `Mcp-Name` mirrors, per method (SEP-2243): a tool or prompt name, or a resource URI. */
export const MCP_NAME_FIELDS: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

/**
 * The value `Mcp-Name` must mirror for a request, or `undefined` when its method has none (or the field is
 * not a string).
 *
 * @example
 * mcpNameOf('resources/read', { uri: 'file:///a.txt' }); // 'file:///a.txt'
 */
export function mcpNameOf(method: string | undefined, params: unknown): string | undefined {
  const field = method === undefined ? undefined : MCP_NAME_FIELDS[method];
  if (field === undefined || typeof params !== 'object' || params === null) return undefined;
  const value = (params as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;

/**
 * Encodes a value for an MCP header (SEP-2243 value encoding): printable ASCII without leading or trailing
 * whitespace goes as is; anything else (non-ASCII such as a resource URI `file:///ツール.txt`, control
 * characters, edge whitespace, or a plain value that looks like the sentinel) goes as
 * `=?base64?<UTF-8 bytes in standard base64>?=`. `fetch` refuses header values outside Latin-1, and
 * Latin-1 sent raw would be read back in the wrong charset.
 *
 * @example
 * encodeMcpHeaderValue('echo'); // 'echo'
 * encodeMcpHeaderValue('ツール'); // '=?base64?44OE44O844Or?='
 */
export function encodeMcpHeaderValue(value: string): string {
  const plain = /^[\x20-\x7e]*$/.test(value) && value.trim() === value && !SENTINEL.test(value);
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/**
 * Decodes an MCP header value written by {@link encodeMcpHeaderValue}: a `=?base64?…?=` value is decoded
 * from UTF-8, anything else is returned as is.
 */
export function decodeMcpHeaderValue(value: string): string {
  const sentinel = SENTINEL.exec(value);
  return sentinel ? Buffer.from(sentinel[1] as string, 'base64').toString('utf8') : value;
}
