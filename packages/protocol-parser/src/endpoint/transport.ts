import type { Readable, Writable } from 'node:stream';
import { ProtocolError } from '../errors.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  type DecodedFrame,
  encodeMessage,
  NdjsonDecoder,
} from '../framing/ndjson.js';
import { parseJson } from '../json/safe-json.js';
import type { JsonRpcMessage } from '../jsonrpc/messages.js';

/**
 * A bidirectional message channel. Implementations: {@link createStreamTransport} (newline-delimited
 * JSON over a readable and a writable stream: stdio, sockets, child processes) and
 * {@link createInMemoryTransportPair}. Callbacks are set by whoever consumes the transport (normally a
 * {@link JsonRpcEndpoint}) before `start()`.
 */
export interface Transport {
  /** Starts delivering incoming messages to `onmessage`. */
  start(): Promise<void>;
  /** Sends one message, or a batch (array). Resolves when the transport accepted it. */
  send(message: JsonRpcMessage | JsonRpcMessage[]): Promise<void>;
  /** Closes the channel. Idempotent; `onclose` fires once. */
  close(): Promise<void>;
  /** A decoded JSON value, not yet classified as a JSON-RPC message. */
  onmessage?: (value: unknown) => void;
  /** A frame that could not be decoded (too large, invalid JSON or UTF-8). The channel stays usable. */
  onframeerror?: (error: ProtocolError) => void;
  /** A failure of the channel itself (I/O error). */
  onerror?: (error: Error) => void;
  /** The channel closed (either side). */
  onclose?: () => void;
}

export interface StreamTransportOptions {
  /** Where messages come from, e.g. `process.stdin` or a child's stdout. */
  readable: Readable;
  /** Where messages go, e.g. `process.stdout` or a child's stdin. */
  writable: Writable;
  /** Maximum bytes of one incoming or outgoing message. @default 4 MiB */
  maxMessageBytes?: number;
  /** Whether `close()` ends the writable stream (closing a child's stdin asks it to exit). @default true */
  endWritableOnClose?: boolean;
  /**
   * When more than this many bytes wait to be written, reading stops until they drain: a peer that
   * pipelines requests faster than it reads the answers then holds them in its own pipe instead of our
   * memory. For the server side of a connection (a peer reads its answers as they come). Leave it off for a
   * child process's stdio: a child blocked writing its output would never read its input again, and
   * neither side would move. @default undefined (never pause)
   */
  pauseReadingAboveBytes?: number;
}

/**
 * A {@link Transport} speaking newline-delimited JSON over Node streams. Outgoing writes respect
 * backpressure: `send()` resolves only once the stream can take more. End of the readable stream closes
 * the transport, after decoding a final unterminated line.
 *
 * @example
 * const transport = createStreamTransport({ readable: process.stdin, writable: process.stdout });
 */
export function createStreamTransport(options: StreamTransportOptions): Transport {
  const { readable, writable, pauseReadingAboveBytes } = options;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (pauseReadingAboveBytes !== undefined && !(pauseReadingAboveBytes >= 0)) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `pauseReadingAboveBytes must be a number ≥ 0, got ${String(pauseReadingAboveBytes)}`,
    );
  }
  const decoder = new NdjsonDecoder({ maxMessageBytes });
  let started = false;
  let closed = false;

  const deliver = (frames: DecodedFrame[]): void => {
    for (const frame of frames) {
      if (closed) return;
      if (frame.ok) transport.onmessage?.(frame.value);
      else transport.onframeerror?.(frame.error);
    }
  };
  const onData = (chunk: Buffer | string): void => deliver(decoder.push(chunk));
  const onEnd = (): void => {
    deliver(decoder.end());
    void transport.close();
  };
  const onError = (error: Error): void => {
    if (!closed) transport.onerror?.(error);
  };
  const onWritableClose = (): void => {
    void transport.close();
  };
  // Every send that meets a full stream waits on this one promise: one listener per event however many
  // writes are queued (a `Promise.race` of `once()`s per send left a close and an error listener behind
  // for each of them: 200k pipelined pings took RSS from 72 to 295 MiB).
  let drained: Promise<void> | undefined;
  const resumeReading = (): void => {
    if (!closed) readable.resume();
  };
  const waitForDrain = (): Promise<void> => {
    drained ??= new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        writable.off('drain', onDrained);
        writable.off('close', onDrained);
        writable.off('error', settle);
        drained = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onDrained = (): void => settle();
      writable.on('drain', onDrained);
      writable.on('close', onDrained);
      writable.on('error', settle);
    });
    return drained;
  };

  const detach = (): void => {
    readable.off('data', onData);
    readable.off('end', onEnd);
    readable.off('error', onError);
    writable.off('error', onError);
    writable.off('close', onWritableClose);
  };

  const transport: Transport = {
    async start() {
      if (started) throw new ProtocolError('INVALID_ARGUMENT', 'Transport already started');
      started = true;
      readable.on('data', onData);
      readable.on('end', onEnd);
      readable.on('error', onError);
      writable.on('error', onError);
      writable.on('close', onWritableClose);
    },
    async send(message) {
      if (closed || writable.destroyed || writable.writableEnded) {
        throw new ProtocolError('CLOSED', 'Cannot send: the transport is closed');
      }
      const line = encodeMessage(message, maxMessageBytes);
      if (writable.write(line)) return;
      const drain = waitForDrain();
      if (pauseReadingAboveBytes !== undefined && writable.writableLength > pauseReadingAboveBytes) {
        if (!readable.isPaused()) {
          readable.pause();
          void drain.then(resumeReading, resumeReading);
        }
      }
      await drain;
    },
    async close() {
      if (closed) return;
      closed = true;
      detach();
      decoder.reset();
      if (options.endWritableOnClose !== false && !writable.writableEnded) {
        // Nothing more will be written; errors here (EPIPE from a dead peer) are no longer interesting.
        writable.on('error', () => {});
        writable.end();
      }
      transport.onclose?.();
    },
  };
  return transport;
}

/**
 * Two linked in-memory transports: what one sends, the other receives, after a JSON round trip (so
 * nothing non-JSON or shared by reference crosses) and on a later microtask (so delivery is asynchronous,
 * as on a real channel). Closing one closes both. For tests, and for embedding a server in-process.
 *
 * @example
 * const [clientSide, serverSide] = createInMemoryTransportPair();
 */
export function createInMemoryTransportPair(): [Transport, Transport] {
  const make = (): Transport & { peer?: Transport; queue: unknown[]; started: boolean; closed: boolean } => {
    const self = {
      peer: undefined as Transport | undefined,
      queue: [] as unknown[],
      started: false,
      closed: false,
      async start() {
        self.started = true;
        const queued = self.queue.splice(0);
        for (const value of queued) self.onmessage?.(value);
      },
      async send(message: JsonRpcMessage | JsonRpcMessage[]) {
        if (self.closed) throw new ProtocolError('CLOSED', 'Cannot send: the transport is closed');
        const copy = parseJson(encodeMessage(message).trimEnd());
        const peer = self.peer as typeof self;
        queueMicrotask(() => {
          if (peer.closed) return;
          if (peer.started) peer.onmessage?.(copy);
          else peer.queue.push(copy);
        });
      },
      async close() {
        if (self.closed) return;
        self.closed = true;
        self.onclose?.();
        await (self.peer as Transport).close();
      },
    } as Transport & { peer?: Transport; queue: unknown[]; started: boolean; closed: boolean };
    return self;
  };
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
