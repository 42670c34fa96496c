import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { parseJson, stripDangerousKeys } from './safe-json.js';

/** A deep merge as naive as the ones that get polluted in the wild. */
function naiveMerge(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
): Record<string, unknown> {
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (typeof value === 'object' && value !== null) {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      naiveMerge(target[key] as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
  return target;
}

describe('parseJson', () => {
  it('should parse ordinary JSON unchanged', () => {
    expect(parseJson('{"a":[1,"x",null,{"b":true}]}')).toEqual({ a: [1, 'x', null, { b: true }] });
  });

  it('should throw a typed INVALID_JSON error for bad text', () => {
    let error: unknown;
    try {
      parseJson('{"a":');
    } catch (caught) {
      error = caught;
    }
    expect(ProtocolError.isInstance(error)).toBe(true);
    expect((error as ProtocolError).code).toBe('INVALID_JSON');
  });

  it('should drop __proto__ keys at every depth, including escaped spellings', () => {
    const value = parseJson(
      '{"__proto__":{"polluted":1},"a":{"__proto__":{"polluted":2},"b":[{"\\u005f_proto__":{"polluted":3}}]}}',
    ) as Record<string, unknown>;
    naiveMerge({}, value);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(value, '__proto__')).toBe(false);
    expect(JSON.stringify(value)).toBe('{"a":{"b":[{}]}}');
  });

  it('should drop constructor.prototype paths but keep harmless constructor values', () => {
    const value = parseJson(
      '{"constructor":{"prototype":{"polluted":1}},"x":{"constructor":"a string"}}',
    ) as Record<string, unknown>;
    naiveMerge({}, value);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(value).toEqual({ x: { constructor: 'a string' } });
  });

  it('should handle 10,000 levels of nesting without overflowing the stack', () => {
    const deep = `${'{"a":'.repeat(10_000)}{"__proto__":{"p":1}}${'}'.repeat(10_000)}`;
    const value = parseJson(deep);
    let node = value as Record<string, unknown>;
    for (let i = 0; i < 10_000; i++) node = node.a as Record<string, unknown>;
    expect(Object.hasOwn(node, '__proto__')).toBe(false);
  });

  it('should never leave Object.prototype polluted, whatever the payload (property)', () => {
    const key = fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', 'a');
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.integer(),
        fc.string(),
        fc.dictionary(key, tie('node'), { maxKeys: 4 }),
        fc.array(tie('node'), { maxLength: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (value) => {
        // Build text that really contains "__proto__" keys (JSON.stringify of a dictionary can produce them).
        const text = JSON.stringify(value);
        const parsed = parseJson(text);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          naiveMerge({}, parsed as Record<string, unknown>);
        }
        return (
          ({} as Record<string, unknown>).polluted === undefined && Object.keys(Object.prototype).length === 0
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe('stripDangerousKeys', () => {
  it('should return primitives unchanged', () => {
    expect(stripDangerousKeys(5)).toBe(5);
    expect(stripDangerousKeys(null)).toBe(null);
  });
});
