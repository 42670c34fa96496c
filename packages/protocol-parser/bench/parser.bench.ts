/**
 * protocol-parser benchmark: parse + validate of typical tools/call messages (messages/s), and the NDJSON
 * decoder's throughput on 1 MiB frames (MB/s). Runs against the built package (`dist`), as users get it.
 * Prints a table, then `BENCH_JSON {...}` as the last line.
 */
import {
  CallToolRequestParamsSchema,
  CallToolResultSchema,
  classifyMessage,
  NdjsonDecoder,
  parseJson,
} from '@mimo-mcp/protocol-parser';

const ROUNDS = 7;
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const requestLine = JSON.stringify({
  jsonrpc: '2.0',
  id: 42,
  method: 'tools/call',
  params: {
    name: 'memory_search',
    arguments: { query: 'what did we decide about the release process', namespace: 'project-x', limit: 10 },
    _meta: { progressToken: 42 },
  },
});
const responseLine = JSON.stringify({
  jsonrpc: '2.0',
  id: 42,
  result: {
    content: [
      {
        type: 'text',
        text: 'Found 3 memories: the release train leaves on Thursdays; changesets gate merges.',
      },
    ],
    structuredContent: {
      hits: [
        { id: 'm1', score: 0.91 },
        { id: 'm2', score: 0.84 },
        { id: 'm3', score: 0.77 },
      ],
    },
    isError: false,
  },
});

function parseAndValidate(line: string, kind: 'request' | 'response'): void {
  const classified = classifyMessage(parseJson(line));
  if (kind === 'request') {
    if (classified.kind !== 'request') throw new Error('expected a request');
    if (!CallToolRequestParamsSchema.safeParse(classified.message.params).success)
      throw new Error('invalid params');
  } else {
    if (classified.kind !== 'response' || !('result' in classified.message))
      throw new Error('expected a result');
    if (!CallToolResultSchema.safeParse(classified.message.result).success) throw new Error('invalid result');
  }
}

function messagesPerSecond(line: string, kind: 'request' | 'response'): number {
  const iterations = 200_000;
  for (let i = 0; i < 20_000; i++) parseAndValidate(line, kind);
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) parseAndValidate(line, kind);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(iterations / seconds);
  }
  return median(rates);
}

function decoderMBps(): { mbps: number; frameBytes: number } {
  const text = 'lorem ipsum dolor sit amet, consectetur adipiscing elit '
    .repeat(19_000)
    .slice(0, 1024 * 1024 - 80);
  const frame = Buffer.from(
    `${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text }] } })}\n`,
  );
  const frames = 64;
  const stream = Buffer.concat(Array.from({ length: frames }, () => frame));
  const chunkBytes = 64 * 1024;
  const run = (): number => {
    const decoder = new NdjsonDecoder({ maxMessageBytes: 4 * 1024 * 1024 });
    let decoded = 0;
    const start = process.hrtime.bigint();
    for (let offset = 0; offset < stream.length; offset += chunkBytes) {
      for (const item of decoder.push(stream.subarray(offset, offset + chunkBytes))) {
        if (!item.ok) throw item.error;
        decoded++;
      }
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (decoded !== frames) throw new Error(`decoded ${decoded} of ${frames} frames`);
    return stream.length / 1e6 / seconds;
  };
  run();
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) rates.push(run());
  return { mbps: median(rates), frameBytes: frame.length };
}

const requestRate = messagesPerSecond(requestLine, 'request');
const responseRate = messagesPerSecond(responseLine, 'response');
// One figure for "typical tools/call messages": the harmonic mean of request and response rates, i.e. the
// rate of a stream made of equal numbers of both.
const combined = 2 / (1 / requestRate + 1 / responseRate);
const decoder = decoderMBps();

const rows: Array<[string, string, string]> = [
  [
    'tools/call request parse+validate',
    `${Math.round(requestRate).toLocaleString('en')} msg/s`,
    '≥ 200,000 msg/s',
  ],
  [
    'tools/call response parse+validate',
    `${Math.round(responseRate).toLocaleString('en')} msg/s`,
    '≥ 200,000 msg/s',
  ],
  ['request+response mix', `${Math.round(combined).toLocaleString('en')} msg/s`, '≥ 200,000 msg/s'],
  [
    `NDJSON decoder, ${(decoder.frameBytes / 1048576).toFixed(2)} MiB frames`,
    `${decoder.mbps.toFixed(0)} MB/s`,
    '≥ 100 MB/s',
  ],
];
console.log(`protocol-parser benchmark (Node ${process.version}, median of ${ROUNDS} rounds)\n`);
console.log('| measure | result | target |\n|---|---|---|');
for (const [name, value, target] of rows) console.log(`| ${name} | ${value} | ${target} |`);
console.log(
  `BENCH_JSON ${JSON.stringify({
    messagesPerSecond: Math.round(combined),
    requestMessagesPerSecond: Math.round(requestRate),
    responseMessagesPerSecond: Math.round(responseRate),
    decoderMBps: Number(decoder.mbps.toFixed(1)),
    frameBytes: decoder.frameBytes,
    rounds: ROUNDS,
    node: process.version,
  })}`,
);
