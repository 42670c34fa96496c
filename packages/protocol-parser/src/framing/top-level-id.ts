import type { RequestId } from '../jsonrpc/messages.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** The longest spelling of the key `id` is `\u0069\u0064` (12 bytes): longer keys are never kept. */
const MAX_KEY_BYTES = 16;
/** Longer ids are not kept (they could not be answered usefully anyway). */
const MAX_ID_BYTES = 1024;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

type State =
  /** Before the top-level `{` (whitespace and a BOM are skipped). */
  | 'start'
  /** After `{` or `,`: a key, or the closing `}`. */
  | 'key-or-end'
  | 'key'
  | 'colon'
  | 'value'
  /** Inside a string value (not the id), or a string inside a nested value. */
  | 'skip-string'
  | 'skip-nested'
  | 'skip-scalar'
  | 'id-string'
  | 'id-scalar'
  | 'comma-or-end'
  | 'done';

/**
 * Finds the `id` member of a top-level JSON object in bytes that arrive in pieces, holding O(1) memory
 * whatever the message's size: for an oversized frame, whose text is discarded as it arrives, so its
 * request can still be answered with its own id (the official SDK writes `id` after `params`, so it comes
 * last). Only the top level counts: an `id` inside `params` or any nested value is skipped with it.
 * Tolerant: it never throws, and gives up (no id) at anything that is not the JSON it expects.
 *
 * @example
 * const scanner = new TopLevelIdScanner();
 * scanner.push(Buffer.from('{"method":"x","params":{"id":9},'));
 * scanner.push(Buffer.from('"id":"a1"}'));
 * scanner.id; // 'a1'
 */
export class TopLevelIdScanner {
  #state: State = 'start';
  /** Raw bytes of the current key or id token (escapes included), up to their bound. */
  #token: number[] = [];
  #tokenOverflow = false;
  #escaped = false;
  #isIdKey = false;
  #depth = 0;
  #nestedInString = false;
  #id: RequestId | undefined;

  /** The id found so far (`undefined` until then, or when there is none or it is not a string/integer). */
  get id(): RequestId | undefined {
    return this.#id;
  }

  /** True once more bytes cannot change the result (the id was read, or the scan gave up). */
  get done(): boolean {
    return this.#state === 'done';
  }

  /** Feeds the next bytes of the message. */
  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length && this.#state !== 'done') {
      // Most of an oversized message is one long string: run to its next quote or backslash at once.
      if (
        !this.#escaped &&
        (this.#state === 'skip-string' || (this.#state === 'skip-nested' && this.#nestedInString))
      ) {
        while (i < bytes.length && bytes[i] !== QUOTE && bytes[i] !== BACKSLASH) i++;
        if (i === bytes.length) return;
      }
      this.#step(bytes[i] as number);
      i++;
    }
  }

  #collect(byte: number, limit: number): void {
    if (this.#token.length < limit) this.#token.push(byte);
    else this.#tokenOverflow = true;
  }

  #tokenValue(): unknown {
    if (this.#tokenOverflow) return undefined;
    try {
      return JSON.parse(Buffer.from(this.#token).toString('utf8'));
    } catch {
      return undefined;
    }
  }

  #startToken(byte: number): void {
    this.#token = [byte];
    this.#tokenOverflow = false;
    this.#escaped = false;
  }

  #finishId(): void {
    const value = this.#tokenValue();
    if (typeof value === 'string' || Number.isSafeInteger(value)) this.#id = value as RequestId;
    this.#state = 'done';
  }

  #step(byte: number): void {
    switch (this.#state) {
      case 'start':
        if (byte === OPEN_BRACE) this.#state = 'key-or-end';
        else if (!isWhitespace(byte) && byte !== 0xef && byte !== 0xbb && byte !== 0xbf) this.#state = 'done';
        return;
      case 'key-or-end':
        if (byte === QUOTE) {
          this.#startToken(byte);
          this.#state = 'key';
        } else if (!isWhitespace(byte)) this.#state = 'done';
        return;
      case 'key':
        this.#collect(byte, MAX_KEY_BYTES);
        if (this.#escaped) this.#escaped = false;
        else if (byte === BACKSLASH) this.#escaped = true;
        else if (byte === QUOTE) {
          this.#isIdKey = this.#tokenValue() === 'id';
          this.#state = 'colon';
        }
        return;
      case 'colon':
        if (byte === COLON) this.#state = 'value';
        else if (!isWhitespace(byte)) this.#state = 'done';
        return;
      case 'value':
        if (isWhitespace(byte)) return;
        if (this.#isIdKey) {
          this.#startToken(byte);
          // `null`, objects and arrays are not ids: what they hold is not looked at.
          if (byte === QUOTE) this.#state = 'id-string';
          else if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) this.#state = 'id-scalar';
          else this.#state = 'done';
          return;
        }
        this.#escaped = false;
        if (byte === QUOTE) this.#state = 'skip-string';
        else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          this.#depth = 1;
          this.#nestedInString = false;
          this.#state = 'skip-nested';
        } else this.#state = 'skip-scalar';
        return;
      case 'id-string':
        this.#collect(byte, MAX_ID_BYTES);
        if (this.#escaped) this.#escaped = false;
        else if (byte === BACKSLASH) this.#escaped = true;
        else if (byte === QUOTE) this.#finishId();
        return;
      case 'id-scalar':
        if (isWhitespace(byte) || byte === COMMA || byte === CLOSE_BRACE) this.#finishId();
        else this.#collect(byte, 32);
        return;
      case 'skip-string':
        if (this.#escaped) this.#escaped = false;
        else if (byte === BACKSLASH) this.#escaped = true;
        else if (byte === QUOTE) this.#state = 'comma-or-end';
        return;
      case 'skip-nested':
        if (this.#nestedInString) {
          if (this.#escaped) this.#escaped = false;
          else if (byte === BACKSLASH) this.#escaped = true;
          else if (byte === QUOTE) this.#nestedInString = false;
        } else if (byte === QUOTE) this.#nestedInString = true;
        else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.#depth++;
        else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
          this.#depth--;
          if (this.#depth === 0) this.#state = 'comma-or-end';
        }
        return;
      case 'skip-scalar':
        if (byte === COMMA) this.#state = 'key-or-end';
        else if (byte === CLOSE_BRACE) this.#state = 'done';
        else if (isWhitespace(byte)) this.#state = 'comma-or-end';
        return;
      case 'comma-or-end':
        if (byte === COMMA) this.#state = 'key-or-end';
        else if (!isWhitespace(byte)) this.#state = 'done';
        return;
      case 'done':
        return;
    }
  }
}

/**
 * The top-level `id` of the JSON object `bytes` holds or starts: a string or a safe integer, or
 * `undefined` when there is none (before the end of `bytes`), or it is `null`, another type, or cut off.
 * The one-shot form of {@link TopLevelIdScanner}.
 *
 * @example
 * readTopLevelId(Buffer.from('{"jsonrpc":"2.0","params":{"id":9},"id":"a1","method":"x"}')); // 'a1'
 */
export function readTopLevelId(bytes: Uint8Array): RequestId | undefined {
  const scanner = new TopLevelIdScanner();
  scanner.push(bytes);
  return scanner.id;
}
