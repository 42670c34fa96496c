// `@mimo-mcp/memory-store/testing`: test doubles for the tests of packages and apps that use the store.
export { createFlakyEmbedder, type FlakyEmbedder } from './flaky-embedder.js';
