// Writes the shippable static table: pieces + top-N words, centred, PCA to K dims, int8 rows + SIF weights.
// Usage: nice -n 19 node pack-static.mjs [N=100000] [K=256] [a=1e-4] -> cache/static-pca<K>-int8-<N>.bin
import { statSync } from 'node:fs';
import { loadTable, transformTable } from './lib/static.mjs';
import { writePacked } from './lib/packed.mjs';
const N = Number(process.argv[2] ?? 100000), K = Number(process.argv[3] ?? 256), a = Number(process.argv[4] ?? 1e-4);
const base = loadTable(100000, N);
const tt = transformTable(base, { center: true, pca: K, int8: true });
const H = Math.log(400000) + 0.5772;
const weights = tt.entries.map((e) => a / (a + (e.kind === 'word' ? 1 / (e.rank * H) : Math.exp(e.score))));
const path = `cache/static-pca${K}-int8-${N}.bin`;
writePacked(path, tt, weights);
console.log(path, 'entries', tt.entries.length, 'bytes', statSync(path).size);
