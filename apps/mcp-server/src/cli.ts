// Placeholder: the `mimo` server is built by issue #6. Until then the binary says so and exits non-zero,
// on stderr only, so it can never be mistaken for a working MCP server.
process.stderr.write('mimo: the MCP server is not built yet (issue #6).\n');
process.exitCode = 1;
