// Placeholder: @mimo-mcp/resource-monitor is built by issue #6. It deliberately exports nothing yet, so no one can
// depend on an API that does not exist.
export {};
