import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { type DecodedFrame, encodeMessage, NdjsonDecoder } from './ndjson.js';

const values = (frames: DecodedFrame[]): unknown[] =>
  frames.map((frame) => (frame.ok ? frame.value : frame.error.code));

/** Splits `bytes` at the given cut points (sorted, deduplicated, within bounds). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });

describe('NdjsonDecoder', () => {
  it('should decode several messages from one chunk, and a message spread over several', () => {
    const decoder = new NdjsonDecoder();
    expect(values(decoder.push('{"a":1}\n{"b":2}\n{"c"'))).toEqual([{ a: 1 }, { b: 2 }]);
    expect(values(decoder.push(':3'))).toEqual([]);
    expect(values(decoder.push('}\n'))).toEqual([{ c: 3 }]);
  });

  it('should accept CRLF endings, skip blank and whitespace-only lines, and ignore a BOM', () => {
    const decoder = new NdjsonDecoder();
    expect(values(decoder.push('\n  \r\n{"a":1}\r\n\t\n\uFEFF{"b":2}\n'))).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('should reassemble a multi-byte UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('{"text":"héllo 😀 wörld"}\n', 'utf8');
    const emoji = bytes.indexOf(0xf0);
    const decoder = new NdjsonDecoder();
    const frames = [
      ...decoder.push(bytes.subarray(0, emoji + 1)),
      ...decoder.push(bytes.subarray(emoji + 1, emoji + 3)),
      ...decoder.push(bytes.subarray(emoji + 3)),
    ];
    expect(values(frames)).toEqual([{ text: 'héllo 😀 wörld' }]);
  });

  it('should reject invalid UTF-8 and invalid JSON with typed errors and keep going', () => {
    const decoder = new NdjsonDecoder();
    const frames = decoder.push(
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('{"a":\n'), Buffer.from('{"ok":true}\n')]),
    );
    expect(values(frames)).toEqual(['INVALID_UTF8', 'INVALID_JSON', { ok: true }]);
    for (const frame of frames) if (!frame.ok) expect(ProtocolError.isInstance(frame.error)).toBe(true);
  });

  it('should reject an oversized line once, discard it up to the next newline, and stay bounded', () => {
    const decoder = new NdjsonDecoder({ maxMessageBytes: 64 });
    const frames: DecodedFrame[] = [];
    frames.push(...decoder.push('{"big":"'));
    for (let i = 0; i < 1_000; i++) {
      frames.push(...decoder.push('x'.repeat(100)));
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(64);
    }
    frames.push(...decoder.push('"}\n{"next":1}\n'));
    expect(values(frames)).toEqual(['MESSAGE_TOO_LARGE', { next: 1 }]);
    const error = (frames[0] as { error: ProtocolError }).error;
    expect(error.data).toEqual({ limitBytes: 64 });
    expect(error.message).toContain('64 bytes');
  });

  it('should carry the top-level id of an oversized line in data.requestId (bug: answered with id null)', () => {
    const decoder = new NdjsonDecoder({ maxMessageBytes: 64 });
    const frames = [
      ...decoder.push('{"jsonrpc":"2.0","params":{"id":"nested"},'),
      ...decoder.push(`"id":"r-7","method":"x","pad":"${'x'.repeat(100)}"}\n`),
      // The official SDK writes the id last, after params: it is found as the line is discarded.
      ...decoder.push(`{"jsonrpc":"2.0","method":"x","params":{"pad":"${'y'.repeat(70_000)}"`),
      ...decoder.push(`,"id":1},"id":8}\n`),
      ...decoder.push(`{"jsonrpc":"2.0","method":"x","params":{"id":3,"pad":"${'y'.repeat(100)}"}}\n`),
    ];
    expect(frames.map((frame) => !frame.ok && frame.error.data)).toEqual([
      { limitBytes: 64, requestId: 'r-7' },
      { limitBytes: 64, requestId: 8 },
      { limitBytes: 64 },
    ]);
  });

  it('should reject a line exactly one byte over the limit and accept one exactly at it', () => {
    const decoder = new NdjsonDecoder({ maxMessageBytes: 10 });
    expect(values(decoder.push('"12345678"\n'))).toEqual(['12345678']);
    expect(values(decoder.push('"123456789"\n'))).toEqual(['MESSAGE_TOO_LARGE']);
  });

  it('should decode a final line without newline at end()', () => {
    const decoder = new NdjsonDecoder();
    expect(values(decoder.push('{"a":1}\n{"b":2}'))).toEqual([{ a: 1 }]);
    expect(values(decoder.end())).toEqual([{ b: 2 }]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('should refuse a non-positive limit', () => {
    expect(() => new NdjsonDecoder({ maxMessageBytes: 0 })).toThrow(/positive integer/);
  });

  it('should yield the same frames for every way of chunking the same bytes (property, incl. 1-byte chunks)', () => {
    fc.assert(
      fc.property(
        fc.array(jsonValue, { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.boolean(),
        (messages, cuts, byteByByte) => {
          const bytes = Buffer.from(messages.map((m) => encodeMessage(m)).join(''), 'utf8');
          const chunks = byteByByte ? [...bytes].map((b) => Buffer.from([b])) : split(bytes, cuts);
          const decoder = new NdjsonDecoder();
          const decoded = chunks.flatMap((chunk) => values(decoder.push(chunk)));
          // The oracle is one push of all bytes; the values are JSON round trips, less the keys the
          // decoder strips against prototype pollution (fast-check does generate `__proto__`).
          const whole = values(new NdjsonDecoder().push(bytes));
          expect(decoded).toEqual(whole);
          expect(whole).toEqual(messages.map((m) => JSON.parse(JSON.stringify(m), dropProto)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('should never throw on random bytes, producing only values or typed errors (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const decoder = new NdjsonDecoder({ maxMessageBytes: 128 });
        for (const chunk of chunks) {
          for (const frame of decoder.push(chunk)) {
            if (!frame.ok) expect(ProtocolError.isInstance(frame.error)).toBe(true);
          }
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(128);
        }
        decoder.end();
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('encodeMessage', () => {
  it('should put exactly one message per line, whatever the strings contain (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        const line = encodeMessage({ value, text: `${text}\n\r\u2028` });
        expect(line.endsWith('\n')).toBe(true);
        expect(line.indexOf('\n')).toBe(line.length - 1);
        expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify({ value, text: `${text}\n\r\u2028` })));
      }),
      { numRuns: 500 },
    );
  });

  it('should reject values JSON cannot encode and messages over the limit', () => {
    expect(() => encodeMessage(undefined)).toThrow(/undefined/);
    expect(() => encodeMessage({ n: 1n })).toThrow(ProtocolError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => encodeMessage(cycle)).toThrow(/cannot be encoded/);
    expect(() => encodeMessage({ text: 'é'.repeat(10) }, 20)).toThrow(/exceeds the maximum of 20/);
    expect(encodeMessage({ a: 1 }, 20)).toBe('{"a":1}\n');
  });
});

/** The pollution keys the decoder strips: every `__proto__`, and `constructor` objects with a `prototype`. */
function dropProto(key: string, value: unknown): unknown {
  if (key === '__proto__') return undefined;
  if (
    key === 'constructor' &&
    typeof value === 'object' &&
    value !== null &&
    Object.hasOwn(value, 'prototype')
  ) {
    return undefined;
  }
  return value;
}
