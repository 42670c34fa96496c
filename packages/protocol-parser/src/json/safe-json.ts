import { ProtocolError } from '../errors.js';

/**
 * Removes keys that enable prototype pollution when a parsed value is later merged into another object:
 * every own `__proto__` key, and `constructor` keys whose value is an object with a `prototype` key (the
 * `obj.constructor.prototype` path). `JSON.parse` itself never pollutes (it defines `__proto__` as a plain
 * own property), but naive deep merges and `Object.assign` do; this closes that door for everything that
 * crosses our boundary (the `vercel/ai#14309` class of bug).
 *
 * Iterative, so a 10,000-level deep document cannot overflow the stack. Mutates and returns `value`.
 */
export function stripDangerousKeys<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const current = stack.pop() as Record<string, unknown> & { constructor?: unknown };
    if (Array.isArray(current)) {
      for (const item of current) {
        if (typeof item === 'object' && item !== null) stack.push(item);
      }
      continue;
    }
    // biome-ignore lint/suspicious/noProto: deleting an own data property named __proto__ is the point.
    if (Object.hasOwn(current, '__proto__')) delete current.__proto__;
    const ctor = Object.hasOwn(current, 'constructor') ? current.constructor : undefined;
    if (typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) {
      delete current.constructor;
    }
    for (const key in current) {
      const child = current[key];
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return value;
}

/**
 * `JSON.parse` that is safe against prototype pollution (see {@link stripDangerousKeys}). The key scan only
 * runs when the text mentions one of the dangerous names or contains a `\u` escape, so ordinary messages
 * pay nothing for it.
 *
 * @throws {ProtocolError} `INVALID_JSON` with the parser's message when the text is not JSON.
 * @example
 * parseJson('{"__proto__":{"polluted":true},"a":1}'); // { a: 1 }
 */
export function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError('INVALID_JSON', `Invalid JSON: ${(error as Error).message}`, { cause: error });
  }
  // A key may also be spelled with escapes (`"\u005f_proto__"`), so any `\u` escape triggers the scan too.
  if (text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) {
    stripDangerousKeys(value);
  }
  return value;
}
