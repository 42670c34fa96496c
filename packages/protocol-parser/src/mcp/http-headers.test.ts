import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMcpHeaderValue, encodeMcpHeaderValue, mcpNameOf } from './http-headers.js';

describe('MCP header values', () => {
  it('should send plain printable ASCII as is', () => {
    expect(encodeMcpHeaderValue('github__create_issue')).toBe('github__create_issue');
    expect(encodeMcpHeaderValue('file:///tmp/a b.txt')).toBe('file:///tmp/a b.txt');
  });

  it('should base64-encode non-ASCII, control characters, edge whitespace and sentinel look-alikes', () => {
    expect(encodeMcpHeaderValue('ツール')).toBe('=?base64?44OE44O844Or?=');
    expect(encodeMcpHeaderValue('été')).toBe(`=?base64?${Buffer.from('été').toString('base64')}?=`);
    expect(encodeMcpHeaderValue('a\r\nX-Injected: 1')).toMatch(/^=\?base64\?/);
    expect(encodeMcpHeaderValue(' padded')).toMatch(/^=\?base64\?/);
    expect(encodeMcpHeaderValue('=?base64?YQ==?=')).toBe('=?base64?PT9iYXNlNjQ/WVE9PT89?=');
  });

  it('should decode what it encodes, for any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        const encoded = encodeMcpHeaderValue(value);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeMcpHeaderValue(encoded)).toBe(value);
      }),
    );
  });

  it('should read the field Mcp-Name mirrors for each method', () => {
    expect(mcpNameOf('tools/call', { name: 'echo' })).toBe('echo');
    expect(mcpNameOf('prompts/get', { name: 'review' })).toBe('review');
    expect(mcpNameOf('resources/read', { uri: 'file:///a' })).toBe('file:///a');
    expect(mcpNameOf('tools/list', { name: 'x' })).toBeUndefined();
    expect(mcpNameOf('tools/call', { name: 3 })).toBeUndefined();
    expect(mcpNameOf(undefined, undefined)).toBeUndefined();
  });
});
