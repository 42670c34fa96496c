// Placeholder: @mimo-mcp/memory-store is built by issue #4. It deliberately exports nothing yet, so no one can
// depend on an API that does not exist.
export {};
