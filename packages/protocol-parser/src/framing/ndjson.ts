import { isUtf8 } from 'node:buffer';
import { ProtocolError } from '../errors.js';
import { parseJson } from '../json/safe-json.js';
import { TopLevelIdScanner } from './top-level-id.js';

/** Default maximum size of one message: 4 MiB (the line without its newline). */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** One item produced by {@link NdjsonDecoder}: a parsed JSON value, or a typed framing error. */
export type DecodedFrame = { ok: true; value: unknown } | { ok: false; error: ProtocolError };

export interface NdjsonDecoderOptions {
  /**
   * Maximum bytes of one line. A longer line yields one `MESSAGE_TOO_LARGE` error and is discarded up to
   * the next newline, so memory stays bounded by the limit. While it is discarded its top-level `id` is
   * looked for (in O(1) memory); the error comes as soon as that id is read, else at the line's end, with
   * the id in `data.requestId` when there is one, so the request can still be answered. @default 4 MiB
   */
  maxMessageBytes?: number;
}

/** An oversized line being discarded: its size so far, the scan for its id, whether its error went out. */
interface OversizedLine {
  bytes: number;
  scanner: TopLevelIdScanner;
  reported: boolean;
}

function isBlank(line: Buffer): boolean {
  for (let i = 0; i < line.length; i++) {
    const byte = line[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== CARRIAGE_RETURN) return false;
  }
  return true;
}

/**
 * A streaming decoder for newline-delimited JSON (the stdio transport framing: one message per line,
 * UTF-8, no embedded newlines; MCP basic/transports/stdio). Chunks may split anywhere, including inside a
 * multi-byte UTF-8 character, because lines are cut on the `\n` byte before decoding. CRLF endings are
 * accepted, blank lines skipped, and a leading BOM ignored. Invalid UTF-8 is rejected (`INVALID_UTF8`)
 * rather than silently replaced; invalid JSON yields `INVALID_JSON`. Bytes are copied once per line, so a
 * long frame arriving in many chunks costs O(n), not O(n²).
 *
 * @example
 * const decoder = new NdjsonDecoder();
 * process.stdin.on('data', (chunk) => {
 *   for (const frame of decoder.push(chunk)) frame.ok ? handle(frame.value) : report(frame.error);
 * });
 */
export class NdjsonDecoder {
  readonly maxMessageBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** True while discarding the rest of an oversized line. */
  #skipping = false;
  #oversized: OversizedLine | undefined;

  constructor(options: NdjsonDecoderOptions = {}) {
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < 1) {
      throw new ProtocolError(
        'INVALID_ARGUMENT',
        `maxMessageBytes must be a positive integer, got ${String(max)}`,
      );
    }
    this.maxMessageBytes = max;
  }

  /** Bytes held for an incomplete line (never more than `maxMessageBytes`). */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  /** Feeds a chunk and returns the frames it completed, in order. Never throws for bad input. */
  push(chunk: Uint8Array | string): DecodedFrame[] {
    const buffer =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const frames: DecodedFrame[] = [];
    let start = 0;
    while (start < buffer.length) {
      const newline = buffer.indexOf(NEWLINE, start);
      const end = newline === -1 ? buffer.length : newline;
      if (this.#skipping) {
        const oversized = this.#oversized as OversizedLine;
        oversized.bytes += end - start;
        if (!oversized.reported) {
          oversized.scanner.push(buffer.subarray(start, end));
          if (oversized.scanner.done || newline !== -1) frames.push(this.#report(oversized));
        }
        if (newline !== -1) {
          this.#skipping = false;
          this.#oversized = undefined;
        }
      } else if (this.#pendingBytes + (end - start) > this.maxMessageBytes) {
        const oversized: OversizedLine = {
          bytes: this.#pendingBytes + (end - start),
          scanner: new TopLevelIdScanner(),
          reported: false,
        };
        for (const piece of this.#pending) oversized.scanner.push(piece);
        oversized.scanner.push(buffer.subarray(start, end));
        if (oversized.scanner.done || newline !== -1) frames.push(this.#report(oversized));
        this.#pending = [];
        this.#pendingBytes = 0;
        this.#skipping = newline === -1;
        this.#oversized = this.#skipping ? oversized : undefined;
      } else if (newline === -1) {
        // Copy: the caller may reuse the chunk's memory after push() returns.
        this.#pending.push(Buffer.from(buffer.subarray(start, end)));
        this.#pendingBytes += end - start;
      } else {
        const piece = buffer.subarray(start, end);
        const line = this.#pendingBytes === 0 ? piece : Buffer.concat([...this.#pending, piece]);
        this.#pending = [];
        this.#pendingBytes = 0;
        const frame = decodeLine(line);
        if (frame) frames.push(frame);
      }
      if (newline === -1) break;
      start = newline + 1;
    }
    return frames;
  }

  /**
   * Ends the stream: a final line without a trailing newline is decoded (a peer may close right after
   * its last message). Returns the frames it produced and resets the decoder.
   */
  end(): DecodedFrame[] {
    const frames: DecodedFrame[] = [];
    if (this.#pendingBytes > 0 && !this.#skipping) {
      const frame = decodeLine(Buffer.concat(this.#pending));
      if (frame) frames.push(frame);
    }
    if (this.#oversized && !this.#oversized.reported) frames.push(this.#report(this.#oversized));
    this.reset();
    return frames;
  }

  /** Drops any buffered partial line. */
  reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#skipping = false;
    this.#oversized = undefined;
  }

  #report(oversized: OversizedLine): DecodedFrame {
    oversized.reported = true;
    const requestId = oversized.scanner.id;
    const error = new ProtocolError(
      'MESSAGE_TOO_LARGE',
      `Message exceeds the maximum size of ${this.maxMessageBytes} bytes (at least ${oversized.bytes} bytes ` +
        'received); it was discarded up to the next newline',
      {
        data: { limitBytes: this.maxMessageBytes, ...(requestId === undefined ? {} : { requestId }) },
      },
    );
    return { ok: false, error };
  }
}

/** Decodes one complete line; `undefined` for blank lines. */
function decodeLine(raw: Buffer): DecodedFrame | undefined {
  let line = raw;
  if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, line.length - 1);
  if (line.length >= 3 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) line = line.subarray(3);
  if (line.length === 0 || isBlank(line)) return undefined;
  if (!isUtf8(line)) {
    return { ok: false, error: new ProtocolError('INVALID_UTF8', 'Message is not valid UTF-8') };
  }
  try {
    return { ok: true, value: parseJson(line.toString('utf8')) };
  } catch (error) {
    return { ok: false, error: error as ProtocolError };
  }
}

/**
 * Encodes one message as exactly one line: `JSON.stringify` escapes every newline inside strings, so the
 * only `\n` is the terminator.
 *
 * @throws {ProtocolError} `INVALID_MESSAGE` if the value cannot be encoded as JSON (undefined, BigInt,
 *   cycles), or `MESSAGE_TOO_LARGE` if it exceeds `maxMessageBytes` (when given).
 * @example
 * stream.write(encodeMessage({ jsonrpc: '2.0', id: 1, result: {} }));
 */
export function encodeMessage(message: unknown, maxMessageBytes?: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(message);
  } catch (error) {
    throw new ProtocolError(
      'INVALID_MESSAGE',
      `Message cannot be encoded as JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (json === undefined)
    throw new ProtocolError('INVALID_MESSAGE', 'Message cannot be encoded as JSON: undefined');
  // A UTF-16 code unit encodes to at most 3 UTF-8 bytes, so short strings skip the byte count.
  if (maxMessageBytes !== undefined && json.length * 3 > maxMessageBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxMessageBytes) {
      throw new ProtocolError(
        'MESSAGE_TOO_LARGE',
        `Outgoing message of ${bytes} bytes exceeds the maximum of ${maxMessageBytes}`,
        {
          data: { limitBytes: maxMessageBytes },
        },
      );
    }
  }
  return `${json}\n`;
}
