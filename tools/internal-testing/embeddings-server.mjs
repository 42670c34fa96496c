import { createServer } from 'node:http';

/**
 * An OpenAI-compatible `/v1/embeddings` server on 127.0.0.1, for tests of HTTP embedders. `embed(input)`
 * returns the vectors for one request's `input`, or `{ status, body }` to answer with an error. `hold(input)`
 * true keeps a request waiting until `release()`. `port` 0 picks a free one; a given port lets a test bring
 * an embedder up where one was down.
 *
 * @param {{ port?: number, embed: (input: string[]) => number[][] | { status: number, body: string }, hold?: (input: string[]) => boolean }} options
 */
export async function startEmbeddingsServer({ port = 0, embed, hold }) {
  const held = [];
  const requests = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const { input } = JSON.parse(body);
      requests.push(input);
      const answer = () => {
        const result = embed(input);
        if (Array.isArray(result)) {
          response.end(JSON.stringify({ data: result.map((embedding, index) => ({ index, embedding })) }));
        } else {
          response.writeHead(result.status);
          response.end(result.body);
        }
      };
      if (hold?.(input)) held.push(answer);
      else answer();
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    requests,
    release: () => {
      for (const answer of held.splice(0)) answer();
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening (taken from the system, then freed). */
export async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
