import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { ConfigError, type ConfigFlags, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { VERSION } from './version.js';

const HELP = `mimo ${VERSION}: memory and an MCP skill gateway, as one MCP server

Usage:
  mimo [stdio]              Serve MCP on stdin/stdout (what MCP clients start)
  mimo serve                Serve MCP over Streamable HTTP at /mcp, with /health, /ready, /metrics, /events
  mimo import <file>        Import a Mimo JSONL export or the official memory server's memory.jsonl
  mimo export [-o <file>]   Export everything as JSONL (stdout by default)
  mimo stats                Counts and sizes, as JSON
  mimo doctor               Check Node, the native vector addon, the database, the embedder and every skill
  mimo config               Print the effective configuration (secrets masked)

Options:
  --config <file>           Configuration file (default: <config dir>/mimo/config.json; env MIMO_CONFIG)
  --db <file>               SQLite database (env MIMO_DB_PATH)
  --namespace <name>        Namespace for memories (env MIMO_NAMESPACE; default: project:<directory>)
  --embedder <name>         local | ollama | openai (env MIMO_EMBEDDER, with MIMO_EMBEDDING_MODEL)
  --tool-profile <name>     all | memory | compact (env MIMO_TOOL_PROFILE)
  --log-level <level>       trace … silent (env MIMO_LOG_LEVEL); logs go to stderr
  --host <address>          For serve: interface to bind (env MIMO_HTTP_HOST; default 127.0.0.1;
                            anything but loopback requires a token)
  --port <n>                For serve: port (env MIMO_HTTP_PORT; default 7077; 0 picks a free one)
  --token-file <file>       For serve: file of accepted bearer tokens, one per line, 16+ characters each
                            (env MIMO_HTTP_TOKENS_FILE); keep it chmod 600
  --token <token>           For serve: accepted bearer token; repeatable (env MIMO_HTTP_TOKENS, comma-separated).
                            Visible to every user in the process list: prefer --token-file
  --allow-origin <origin>   For serve: a browser origin to allow besides loopback ones; repeatable
  --rate-limit <r>[/<b>]    For serve: requests per second per client, burst b (default 1000/2000; 0 = off)
  --max-line-bytes <n>      For import: the longest line accepted (default 8388608, 8 MiB)
  -o, --output <file>       For export: write here instead of stdout (a new file renamed over the path;
                            a symlink there is replaced, not followed)
  --no-vectors              For export: leave vectors out
  --check-timeout <ms>      For doctor: how long one check may take (default 15000)
  -h, --help                This help
  -v, --version             The version

Precedence: flags > environment > configuration file > defaults.`;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        db: { type: 'string' },
        namespace: { type: 'string' },
        embedder: { type: 'string' },
        'tool-profile': { type: 'string' },
        'log-level': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string', multiple: true },
        'token-file': { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        'rate-limit': { type: 'string' },
        'max-line-bytes': { type: 'string' },
        output: { type: 'string', short: 'o' },
        'no-vectors': { type: 'boolean' },
        'check-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    process.stderr.write(`mimo: ${(error as Error).message}\nRun mimo --help for usage.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [command = 'stdio', ...rest] = positionals;
  const flags: ConfigFlags = {
    ...(typeof values.config === 'string' ? { config: values.config } : {}),
    ...(typeof values.db === 'string' ? { db: values.db } : {}),
    ...(typeof values.namespace === 'string' ? { namespace: values.namespace } : {}),
    ...(typeof values.embedder === 'string' ? { embedder: values.embedder } : {}),
    ...(typeof values['tool-profile'] === 'string' ? { toolProfile: values['tool-profile'] } : {}),
    ...(typeof values['log-level'] === 'string' ? { logLevel: values['log-level'] } : {}),
    ...(typeof values.host === 'string' ? { host: values.host } : {}),
    ...(typeof values.port === 'string' ? { port: values.port } : {}),
    ...(Array.isArray(values.token) ? { tokens: values.token as string[] } : {}),
    ...(typeof values['token-file'] === 'string' ? { tokenFile: values['token-file'] } : {}),
    ...(Array.isArray(values['allow-origin']) ? { allowedOrigins: values['allow-origin'] as string[] } : {}),
    ...(typeof values['rate-limit'] === 'string' ? { rateLimit: values['rate-limit'] } : {}),
  };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(flags);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mimo: invalid configuration:\n${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (command === 'stdio' || command === 'serve') {
    // A long-running server keeps V8's young generation at its starting size instead of letting a burst
    // (200k pipelined pings) grow it to 2 × 16 MiB that it then keeps. Measured A/B in one run (bench:stdio,
    // 4 rounds each): RSS growth median 29.5 → 15.5 MiB, peak growth 70 → 45 MiB. V8 reads the flag at each
    // resize, so it takes effect although the heap already exists.
    setFlagsFromString('--semi-space-growth-factor=1');
  }
  switch (command) {
    case 'stdio': {
      const { serveStdio } = await import('./serve-stdio.js');
      await serveStdio(config, logger);
      return 0;
    }
    case 'serve': {
      const { serveHttp } = await import('./serve-http.js');
      try {
        const { done } = await serveHttp(config, logger);
        await done;
      } catch (error) {
        if (error instanceof ConfigError) {
          process.stderr.write(`mimo: invalid configuration:\n${error.message}\n`);
          return 2;
        }
        throw error;
      }
      return 0;
    }
    case 'import': {
      const file = rest[0];
      if (!file) {
        process.stderr.write('mimo import: which file? (mimo import <file>)\n');
        return 2;
      }
      const maxLineBytes = values['max-line-bytes'];
      if (typeof maxLineBytes === 'string' && !/^[1-9]\d*$/.test(maxLineBytes)) {
        process.stderr.write(
          `mimo import: --max-line-bytes must be a positive integer, got ${maxLineBytes}\n`,
        );
        return 2;
      }
      const { importCommand } = await import('./commands.js');
      return importCommand(
        config,
        file,
        typeof maxLineBytes === 'string' ? { maxLineBytes: Number(maxLineBytes) } : {},
      );
    }
    case 'export': {
      const { exportCommand } = await import('./commands.js');
      return exportCommand(config, {
        ...(typeof values.output === 'string' ? { output: values.output } : {}),
        vectors: !values['no-vectors'],
      });
    }
    case 'stats': {
      const { statsCommand } = await import('./commands.js');
      return statsCommand(config);
    }
    case 'doctor': {
      const timeout = values['check-timeout'];
      if (typeof timeout === 'string' && !/^[1-9]\d*$/.test(timeout)) {
        process.stderr.write(
          `mimo doctor: --check-timeout must be a positive number of ms, got ${timeout}\n`,
        );
        return 2;
      }
      const { doctorCommand } = await import('./commands.js');
      return doctorCommand(config, logger, typeof timeout === 'string' ? { timeoutMs: Number(timeout) } : {});
    }
    case 'config': {
      const { maskSecrets } = await import('./config.js');
      process.stdout.write(`${JSON.stringify(maskSecrets(config), null, 2)}\n`);
      return 0;
    }
    default:
      process.stderr.write(`mimo: unknown command ${JSON.stringify(command)}\nRun mimo --help for usage.\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Skills, sockets and timers are closed by now; exit even if a stray handle (a dead client's pipe) lingers.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (error: unknown) => {
    process.stderr.write(`mimo: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
