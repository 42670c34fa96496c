// Does onnxruntime-node (CPU binaries bundled in the npm package) load and run here? Builds a one-node ONNX
// model (y = x + x) by hand-encoding the protobuf, since no ONNX sentence model is available from npm.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const varint = (n) => { const b = []; while (n > 127) { b.push((n & 127) | 128); n >>>= 7; } b.push(n); return Buffer.from(b); };
const field = (no, wire, payload) => Buffer.concat([varint((no << 3) | wire), wire === 2 ? Buffer.concat([varint(payload.length), payload]) : varint(payload)]);
const str = (no, s) => field(no, 2, Buffer.from(s));
const valueInfo = (name) => Buffer.concat([str(1, name), field(2, 2, field(1, 2, Buffer.concat([field(1, 0, 1), field(2, 2, field(1, 2, field(1, 0, 3)))])))]);
const node = Buffer.concat([str(1, 'x'), str(1, 'x'), str(2, 'y'), str(4, 'Add')]);
const graph = Buffer.concat([field(1, 2, node), str(2, 'g'), field(11, 2, valueInfo('x')), field(12, 2, valueInfo('y'))]);
const model = Buffer.concat([field(1, 0, 8), field(7, 2, graph), field(8, 2, Buffer.concat([str(1, ''), field(2, 0, 13)]))]);
const ort = require('onnxruntime-node');
const t = performance.now();
const session = await ort.InferenceSession.create(model);
const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [3]) });
console.log('onnxruntime-node', require('onnxruntime-node/package.json').version, 'ran: y =', Array.from(out.y.data), `(${(performance.now() - t).toFixed(1)} ms)`);
