/** Response headers that open a Server-Sent Events stream. */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
} as const;

/** One JSON-RPC message as an SSE `message` event. */
export function sseEvent(message: unknown): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/** The SSE comment written on open streams so proxies and clients see the connection alive. */
export const SSE_KEEP_ALIVE = ': keep-alive\n\n';
