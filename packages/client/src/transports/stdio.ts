import type { Readable, Writable } from 'node:stream';
import { createStreamTransport, type Transport } from '@mimo-mcp/protocol-parser';

/** Anything with a child's pipes: a `ManagedChild` from `@mimo-mcp/process-manager`, or a Node `ChildProcess`. */
export interface StdioPipes {
  stdin: Writable | null;
  stdout: Readable | null;
}

/**
 * A {@link Transport} over a child process's stdin/stdout: newline-delimited JSON, messages bounded by
 * `maxMessageBytes` (a larger frame is reported and skipped, never buffered without limit). Closing the
 * transport ends the child's stdin, which asks an MCP server to exit, unless `endStdinOnClose` is false
 * (when something else, such as a process manager, decides when the child stops).
 *
 * @example
 * const child = await manager.register('everything', spec).start();
 * await client.connect(createStdioTransport(child));
 */
export function createStdioTransport(
  child: StdioPipes,
  options: {
    maxMessageBytes?: number;
    /** Whether closing the transport ends the child's stdin. @default true */
    endStdinOnClose?: boolean;
  } = {},
): Transport {
  if (!child.stdin || !child.stdout)
    throw new TypeError('createStdioTransport needs a child with piped stdin and stdout');
  return createStreamTransport({
    readable: child.stdout,
    writable: child.stdin,
    ...(options.maxMessageBytes !== undefined ? { maxMessageBytes: options.maxMessageBytes } : {}),
    ...(options.endStdinOnClose === false ? { endWritableOnClose: false } : {}),
  });
}
