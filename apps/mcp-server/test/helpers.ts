import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@mimo-mcp/internal-testing/processes';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const TEE = fileURLToPath(new URL('./fixtures/tee.mjs', import.meta.url));
/** Runs a skill script with test-only options (see the fixture): `node WRAP_SKILL [--marker-file=…] [--linger] <script>`. */
export const WRAP_SKILL = fileURLToPath(new URL('./fixtures/wrap-skill.mjs', import.meta.url));
const modules = (path: string) => fileURLToPath(new URL(`../node_modules/${path}`, import.meta.url));
export const EVERYTHING = modules('@modelcontextprotocol/server-everything/dist/index.js');
export const OFFICIAL_MEMORY = modules('@modelcontextprotocol/server-memory/dist/index.js');
export const INSPECTOR = modules('.bin/mcp-inspector');

/** A legacy `initialize` request (id 1) as raw tests send it. */
export const INITIALIZE_REQUEST = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
} as const;

/** The official server-everything as a skill started with the gateway. */
export const EAGER_EVERYTHING = {
  everything: { command: process.execPath, args: [EVERYTHING, 'stdio'], startup: 'eager' },
} as const;

/** Every file of stdout captured in this test run (checked for purity at the end). */
export const teeFiles: string[] = [];

/**
 * A fresh home for one server: its own config dir, data dir and database, so tests never touch the user's.
 * Returns the environment to start `mimo` with.
 */
export function sandbox(config?: Record<string, unknown>): {
  dir: string;
  env: Record<string, string>;
  db: string;
  configPath: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'mimo-app-'));
  const configPath = join(dir, 'config', 'mimo', 'config.json');
  mkdirSync(join(dir, 'config', 'mimo'), { recursive: true });
  if (config) writeFileSync(configPath, JSON.stringify(config));
  const db = join(dir, 'data', 'memory.db');
  const tee = join(dir, 'stdout.jsonl');
  teeFiles.push(tee);
  return {
    dir,
    db,
    configPath,
    env: {
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: join(dir, 'data'),
      MIMO_DB_PATH: db,
      MIMO_LOG_LEVEL: 'warn',
      MIMO_NAMESPACE: 'test',
      MIMO_TEE_FILE: tee,
      PATH: process.env.PATH ?? '',
      HOME: dir,
    },
  };
}

/** Lines of a captured stdout that are not a JSON-RPC 2.0 message. */
export function impureLines(file: string): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .filter((line) => {
      try {
        return (JSON.parse(line) as { jsonrpc?: unknown }).jsonrpc !== '2.0';
      } catch {
        return true;
      }
    });
}

export const text = (result: unknown): string =>
  ((result as { content: Array<{ text?: string }> }).content[0]?.text as string | undefined) ?? '';

export interface Message {
  id?: string | number | null;
  result?: unknown;
  error?: { code: number; message: string };
  method?: string;
}

/**
 * A raw stdio session with the server: write lines, read parsed messages. Through the tee by default (every
 * stdout byte kept for the purity check); `tee: false` makes `child` the server itself (to signal it).
 */
export function raw(env: Record<string, string>, options: { tee?: boolean } = {}) {
  const args = options.tee === false ? [CLI] : [TEE, CLI];
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const messages: Message[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      messages.push(JSON.parse(buffer.slice(0, newline)) as Message);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const send = (line: string) => child.stdin.write(`${line}\n`);
  const answer = async (id: string | number | null, after = 0) => {
    await waitFor(
      () => messages.slice(after).some((m) => m.id === id && (m.result !== undefined || m.error)),
      { timeoutMs: 10_000 },
    );
    return messages.slice(after).find((m) => m.id === id && (m.result !== undefined || m.error)) as Message;
  };
  return { child, messages, send, answer, stderr: () => stderr };
}

/**
 * Starts `mimo serve --port 0` in `box` (a fresh sandbox by default) and resolves once it logs its URL.
 * The caller owns the child (kill it after the test).
 */
export async function serveHttp(
  options: { args?: string[]; env?: Record<string, string>; box?: ReturnType<typeof sandbox> } = {},
) {
  const box = options.box ?? sandbox();
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--log-level', 'info', ...(options.args ?? [])],
    {
      env: { ...box.env, MIMO_LOG_LEVEL: 'info', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const base = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const url = /"url":"(http:\/\/[^"]+)\/mcp"/.exec(stderr)?.[1];
      if (url) resolve(url);
    });
    child.on('exit', (code) => reject(new Error(`mimo serve exited with ${code}: ${stderr}`)));
    setTimeout(
      () => reject(new Error(`mimo serve did not log its URL within 20 s: ${stderr}`)),
      20_000,
    ).unref();
  });
  return { base, url: `${base}/mcp`, child, box, exited, stdout: () => stdout, stderr: () => stderr };
}
