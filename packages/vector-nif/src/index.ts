// Placeholder: @mimo-mcp/vector-nif is built by issue #3. It deliberately exports nothing yet, so no one can
// depend on an API that does not exist.
export {};
