// Placeholder: @mimo-mcp/process-manager is built by issue #5. It deliberately exports nothing yet, so no one can
// depend on an API that does not exist.
export {};
