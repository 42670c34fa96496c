import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHttpHandler } from '@mimo-mcp/protocol-parser/http';
import { McpServer } from '@mimo-mcp/protocol-parser/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpTransport, McpClient } from '../src/index.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

/** A real Mimo HTTP endpoint on a loopback port, serving one resource and one prompt with non-Latin-1 names. */
async function serve(): Promise<string> {
  const server = new McpServer({
    serverInfo: { name: 'unicode-names', version: '1.0.0' },
    resources: {
      list: () => [{ uri: 'mimo://notes/ツール', name: 'ツール' }],
      async read(uri) {
        return { contents: [{ uri, text: `read ${uri}` }] };
      },
    },
    prompts: {
      list: () => [{ name: 'résumé_ツール' }],
      async get(name) {
        return { messages: [{ role: 'user', content: { type: 'text', text: `prompt ${name}` } }] };
      },
    },
  });
  const handler = createMcpHttpHandler({ server });
  const http = createServer((request, response) => {
    void handler.handle(request, response).then((handled) => {
      if (!handled) response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    await handler.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

describe('createHttpTransport Mcp-Name header', () => {
  it('should base64-encode a resource URI and a prompt name outside Latin-1 (bug: fetch refused the raw header)', async () => {
    const client = new McpClient();
    closers.push(() => client.close());
    const server = await client.connect(createHttpTransport({ url: await serve() }));
    expect(server.era).toBe('modern');
    const read = await client.readResource('mimo://notes/ツール');
    expect(read.contents).toEqual([{ uri: 'mimo://notes/ツール', text: 'read mimo://notes/ツール' }]);
    const prompt = await client.getPrompt('résumé_ツール');
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'prompt résumé_ツール' });
  });
});
