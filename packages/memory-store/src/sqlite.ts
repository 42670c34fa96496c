// `@mimo-mcp/memory-store/sqlite`: the SQLite storage driver (Node only, better-sqlite3), for passing a
// configured driver to `openMemoryStore({ driver })` or running the driver conformance suite.
export { LATEST_SCHEMA_VERSION } from './driver/sqlite/migrations.js';
export { createSqliteDriver, type SqliteDriverOptions } from './driver/sqlite/sqlite-driver.js';
