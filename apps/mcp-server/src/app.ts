import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  createSkillGateway,
  gatewayProviders,
  type SkillGateway,
  type ToolCallEvent,
  ToolFinder,
  watchConfigFile,
} from '@mimo-mcp/client';
import {
  createLocalEmbedder,
  createOllamaEmbedder,
  createOpenAiEmbedder,
  type Embedder,
  type MemoryStore,
  MemoryStoreError,
  openMemoryStore,
} from '@mimo-mcp/memory-store';
import { createProcessManager, type ProcessManager } from '@mimo-mcp/process-manager';
import {
  JsonRpcError,
  JsonRpcErrorCode,
  MimoErrorCode,
  type Resource,
  type Tool,
} from '@mimo-mcp/protocol-parser';
import {
  type DefinedTool,
  defineTool,
  McpServer,
  type ResourceProvider,
  type ToolProvider,
} from '@mimo-mcp/protocol-parser/server';
import { createResourceMonitor, type ResourceMonitor } from '@mimo-mcp/resource-monitor';
import { backend } from '@mimo-mcp/vector-nif';
import type { Logger } from 'pino';
import { z } from 'zod';
import { loadConfig, type MimoConfig, SECRET_KEY } from './config.js';
import { gatewayTools } from './tools/gateway-tools.js';
import { graphTools } from './tools/graph-tools.js';
import { memoryTools } from './tools/memory-tools.js';
import { VERSION } from './version.js';

export interface Mimo {
  server: McpServer;
  store: MemoryStore;
  gateway: SkillGateway;
  monitor: ResourceMonitor;
  manager: ProcessManager;
  /** Every tool currently listed (for the active profile). */
  listTools(): Tool[];
  /** From now on, tool calls are refused with SHUTTING_DOWN (-32013). */
  stopAccepting(): void;
  status(): Promise<Record<string, unknown>>;
  /** Stops skills, sampling and the database. Idempotent. */
  close(): Promise<void>;
}

/** A short, secret-free summary of tool arguments for the skill-call memory. */
function summarizeArguments(args: Record<string, unknown>): string {
  const text = JSON.stringify(args, (key, value) => (key && SECRET_KEY.test(key) ? '***' : value));
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

/** The configured embedder: local (default, no download), Ollama or OpenAI-compatible. */
export function createEmbedder(config: MimoConfig): Embedder {
  const embedder = config.embedder;
  if (embedder.provider === 'ollama') {
    return createOllamaEmbedder({
      model: embedder.model,
      ...(embedder.url ? { baseUrl: embedder.url } : {}),
      ...(embedder.dimensions ? { dimensions: embedder.dimensions } : {}),
    });
  }
  if (embedder.provider === 'openai') {
    return createOpenAiEmbedder({
      model: embedder.model,
      ...(embedder.baseUrl ? { baseUrl: embedder.baseUrl } : {}),
      ...(embedder.apiKey ? { apiKey: embedder.apiKey } : {}),
      ...(embedder.dimensions ? { dimensions: embedder.dimensions } : {}),
    });
  }
  return createLocalEmbedder(embedder.dimensions ? { dimensions: embedder.dimensions } : {});
}

/** How long a skill gets, after its stdin closed, before SIGTERM, and after SIGTERM before SIGKILL. */
const SKILL_STOP = { stdinGraceMs: 500, termGraceMs: 1000 };

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Composes Mimo: the memory store (one SQLite file), the skill gateway (through a process manager), the
 * resource monitor, and the dual-era MCP server exposing all of them as tools and resources.
 */
export async function createMimo(config: MimoConfig, logger: Logger): Promise<Mimo> {
  if (config.database.path !== ':memory:') mkdirSync(dirname(config.database.path), { recursive: true });
  const store = await openMemoryStore({
    path: config.database.path,
    namespace: config.namespace,
    embedder: createEmbedder(config),
    synchronous: config.database.synchronous,
  });
  const manager = createProcessManager({
    stateDir: join(config.dataDir, 'run'),
    // MCP clients give a server about 2 s after closing its stdin before they send SIGTERM: every skill
    // must be gone well within that (they stop in parallel).
    stop: SKILL_STOP,
    ...(config.gateway.maxProcesses ? { maxProcesses: config.gateway.maxProcesses } : {}),
    ...(config.gateway.allowedCommands ? { allowedCommands: config.gateway.allowedCommands } : {}),
  });
  let gateway: SkillGateway;
  try {
    gateway = await createSkillGateway({
      config: { mcpServers: config.mcpServers },
      processManager: manager,
      clientInfo: { name: 'mimo', version: VERSION },
      catalogCache: { path: join(config.dataDir, 'skills-catalog.json') },
      defaults: {
        ...(config.gateway.timeoutMs ? { timeoutMs: config.gateway.timeoutMs } : {}),
        ...(config.gateway.connectTimeoutMs ? { connectTimeoutMs: config.gateway.connectTimeoutMs } : {}),
        ...(config.gateway.maxConcurrency ? { maxConcurrency: config.gateway.maxConcurrency } : {}),
        ...(config.gateway.startup ? { startup: config.gateway.startup } : {}),
      },
    });
  } catch (error) {
    await manager.close();
    await store.close();
    throw error;
  }

  const monitor = createResourceMonitor({
    ...(config.monitor.intervalMs ? { intervalMs: config.monitor.intervalMs } : {}),
    ...(config.monitor.thresholds ? { thresholds: config.monitor.thresholds } : {}),
  });
  const dbPath = config.database.path;
  monitor.addGauge({
    name: 'mimo_db_file_bytes',
    help: 'Size of the SQLite database file',
    collect: () => fileBytes(dbPath),
  });
  monitor.addGauge({
    name: 'mimo_db_wal_bytes',
    help: 'Size of the SQLite write-ahead log',
    collect: () => fileBytes(`${dbPath}-wal`),
  });
  monitor.addGauge({
    name: 'mimo_skill_breaker_open',
    help: 'Skills whose circuit breaker is open (1) or not (0)',
    labelNames: ['skill'],
    collect: () =>
      gateway
        .skills()
        .map((skill) => ({ labels: { skill: skill.name }, value: skill.breaker.state === 'closed' ? 0 : 1 })),
  });
  monitor.addGauge({
    name: 'mimo_skills_ready',
    help: 'Skills in the ready state',
    collect: () => gateway.skills().filter((skill) => skill.health === 'ready').length,
  });
  manager.on('process-sample', ({ id, pid, rssBytes, cpuPercent, maxRssBytes }) =>
    monitor.recordChild({ id, pid, rssBytes, cpuPercent, maxRssBytes }),
  );
  manager.on('exit', ({ id }) => monitor.forgetChild(id));
  monitor.on('alert-raised', (alert) => logger.warn({ alert }, 'resource alert raised'));
  monitor.on('alert-resolved', (alert) => logger.info({ alert }, 'resource alert resolved'));
  monitor.start();

  // Entries that cannot be run are skills in their own state from the start (no change to announce).
  const warnMisconfigured = (names: readonly string[]) => {
    for (const skill of gateway.skills()) {
      if (names.includes(skill.name) && skill.health === 'misconfigured')
        logger.warn(
          { skill: skill.name, lastError: skill.lastError },
          'skill cannot be started as configured',
        );
    }
  };
  warnMisconfigured(Object.keys(config.mcpServers));
  gateway.on('skill-health', ({ skill, from, to }) => {
    const lastError = gateway.skills().find((status) => status.name === skill)?.lastError;
    // A start that failed, or a state that needs someone to look: at warn, with what the skill said.
    const unwell =
      to === 'crash-loop' ||
      to === 'misconfigured' ||
      to === 'circuit-open' ||
      (from === 'starting' && to === 'stopped' && lastError !== undefined);
    logger[unwell ? 'warn' : 'info'](
      { skill, from, to, ...(lastError ? { lastError } : {}) },
      'skill health changed',
    );
  });
  gateway.on('skill-stderr', ({ skill, line }) => logger.debug({ skill, line }, 'skill stderr'));
  gateway.on('skill-output-invalid', ({ skill, count, total, sample }) =>
    logger.warn(
      { skill, count, total, sample },
      'skill wrote lines to stdout that are not protocol messages (ignored; they belong on stderr)',
    ),
  );
  gateway.on('catalog-cache-error', ({ path, error }) =>
    logger.warn({ path, err: error }, 'skill catalog cache unusable; lazy skills are discovered again'),
  );
  gateway.on('config-invalid', ({ error }) => logger.error({ err: error }, 'skill configuration invalid'));
  manager.on('crash-loop', ({ id, crashes, stderrTail }) =>
    logger.error(
      { id, crashes, stderr: stderrTail.slice(-2000) },
      'skill is crash-looping; not restarting it',
    ),
  );

  const toolCallSeconds = monitor.addHistogram({
    name: 'mimo_tool_call_duration_seconds',
    help: 'Tool calls by tool, skill (mimo for its own tools) and outcome (ok, tool-error, protocol-error)',
    labelNames: ['tool', 'skill', 'outcome'],
  });

  const startedAt = Date.now();
  const status = async (): Promise<Record<string, unknown>> => ({
    version: VERSION,
    node: process.version,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    vectorBackend: { name: backend.name, simd: backend.simd, reason: backend.reason },
    database: {
      path: dbPath,
      fileBytes: fileBytes(dbPath),
      walBytes: fileBytes(`${dbPath}-wal`),
      synchronous: config.database.synchronous,
    },
    namespace: config.namespace,
    // Data in other namespaces is invisible to tools called without one: name them, and say how to reach them.
    namespaces: await store.namespaces(),
    namespaceHint: `tools use ${config.namespace} unless given a namespace; memory_search and search_nodes take namespace "*" for all`,
    // counts.pendingEmbeddings were stored while the embedder failed; this backfill embeds them in the background.
    embedder: {
      id: store.embedder.id,
      dimensions: store.embedder.dimensions,
      backfill: store.backfillStatus,
    },
    toolProfile: config.toolProfile,
    counts: await store.stats({ namespace: '*' }),
    skills: gateway.skills().map((skill) => ({
      name: skill.name,
      health: skill.health,
      tools: skill.tools,
      restarts: skill.restarts,
      breaker: skill.breaker.state,
      retryAfterMs: skill.breaker.retryAfterMs,
    })),
    resources: monitor.snapshot(),
    alerts: monitor.activeAlerts(),
  });

  // Through the store, so tool descriptions share its embedding cache.
  const finder = new ToolFinder({
    id: store.embedder.id,
    dimensions: store.embedder.dimensions,
    embed: (texts, options) => store.embedTexts(texts, options?.signal),
  });
  const own = new Map<string, DefinedTool>();
  const memory = memoryTools(store);
  const graph = graphTools(store);
  const skillTools = gatewayTools(gateway);
  const metaTools: DefinedTool[] = [
    defineTool({
      name: 'find_tools',
      title: 'Find tools',
      description:
        'Search every available tool (Mimo’s and its skills’) by what you want to do; returns names, descriptions and input schemas to use with call_tool.',
      input: z.strictObject({ query: z.string().min(1).max(2000), limit: z.int().min(1).max(50).optional() }),
      output: z.object({
        tools: z.array(
          z.object({
            name: z.string(),
            description: z.string().optional(),
            score: z.number(),
            inputSchema: z.unknown(),
          }),
        ),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async ({ query, limit }, scope) => ({
        tools: (await finder.find(query, allTools(), limit ?? 8, { signal: scope.signal })).map(
          ({ tool, score }) => ({
            name: tool.name,
            ...(tool.description ? { description: tool.description } : {}),
            score,
            inputSchema: tool.inputSchema,
          }),
        ),
      }),
    }),
    defineTool({
      name: 'mimo_status',
      title: 'Mimo status',
      description:
        'Versions, vector backend (native or JS), database path and size, counts, skills, resource snapshot and active alerts.',
      input: z.strictObject({}),
      output: z.object({}).catchall(z.unknown()),
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: status,
    }),
  ];
  for (const tool of [...memory, ...graph, ...skillTools, ...metaTools]) own.set(tool.definition.name, tool);

  const recordSkillCall = async ({ skill, tool, arguments: args, durationMs, outcome }: ToolCallEvent) => {
    const result = outcome === 'ok' ? 'succeeded' : 'failed';
    const ms = Math.round(durationMs);
    try {
      await store.create(
        {
          content: `${skill}/${tool} ${result} in ${ms} ms with arguments ${summarizeArguments(args)}`,
          kind: 'skill-call',
          tags: ['skill-call', (skill as string).toLowerCase().slice(0, 64)],
          importance: outcome === 'ok' ? 0.3 : 0.6,
          metadata: { skill, tool, outcome: result, durationMs: ms },
        },
        { nearDuplicates: 'skip' },
      );
    } catch (error) {
      logger.warn({ err: error, skill, tool }, 'could not record the skill call');
    }
  };
  // call_tool is defined apart: it dispatches to every other tool.
  const callToolTool = defineTool({
    name: 'call_tool',
    title: 'Call a tool',
    description: 'Call any tool by name (as found with find_tools), with its arguments.',
    input: z.strictObject({
      name: z.string().min(1),
      arguments: z.record(z.string(), z.unknown()).optional(),
    }),
    output: z.object({}).catchall(z.unknown()),
    annotations: { openWorldHint: true },
    run: async ({ name, arguments: args }, scope) => {
      if (name === 'call_tool') throw new Error('call_tool cannot call itself');
      const result = await providers.tools.call(name, args ?? {}, scope);
      if (result.isError)
        throw new Error((result.content[0] as { text?: string } | undefined)?.text ?? `${name} failed`);
      return (result.structuredContent as Record<string, unknown> | undefined) ?? { content: result.content };
    },
  });
  own.set('call_tool', callToolTool);

  /** Every callable tool, whatever the profile shows. */
  const allTools = (): Tool[] => [
    ...[...own.values()]
      .map((tool) => tool.definition)
      .filter((tool) => tool.name !== 'call_tool' && tool.name !== 'find_tools'),
    ...gateway.listTools(),
  ];
  const listTools = (): Tool[] => {
    const defs = (tools: DefinedTool[]) => tools.map((tool) => tool.definition);
    if (config.toolProfile === 'memory')
      return [
        ...defs(memory),
        ...defs(graph),
        ...defs(metaTools.filter((t) => t.definition.name === 'mimo_status')),
      ];
    if (config.toolProfile === 'compact')
      return [...defs(memory), ...defs(metaTools), callToolTool.definition];
    return [
      ...defs(memory),
      ...defs(graph),
      ...defs(skillTools),
      ...defs(metaTools),
      callToolTool.definition,
      ...gateway.listTools(),
    ];
  };
  const ownResources: ResourceProvider = {
    list: (): Resource[] => [
      { uri: 'mimo://status', name: 'status', title: 'Mimo status', mimeType: 'application/json' },
      {
        uri: 'mimo://graph',
        name: 'graph',
        title: 'Knowledge graph (paged: mimo://graph?cursor=…)',
        mimeType: 'application/json',
      },
    ],
    read: async (uri) => {
      if (uri === 'mimo://status') {
        return {
          contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(await status(), null, 2) }],
        };
      }
      if (uri === 'mimo://graph' || uri.startsWith('mimo://graph?')) {
        const cursor = new URL(uri).searchParams.get('cursor') ?? undefined;
        const page = await store.graph
          .readGraph({ ...(cursor ? { cursor } : {}), limit: 100 })
          .catch((error: unknown) => {
            // A cursor that is not one of ours is the client's mistake, not an internal error.
            if (MemoryStoreError.isInstance(error) && error.code === 'INVALID_ARGUMENT')
              throw new JsonRpcError(JsonRpcErrorCode.INVALID_PARAMS, error.message, { uri });
            throw error;
          });
        const next = page.nextCursor
          ? `mimo://graph?cursor=${encodeURIComponent(page.nextCursor)}`
          : undefined;
        return {
          contents: [
            {
              uri,
              mimeType: 'application/json',
              text: JSON.stringify({ ...page, nextCursor: undefined, next }, null, 2),
            },
          ],
        };
      }
      throw new JsonRpcError(JsonRpcErrorCode.RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
    },
  };
  const providers = gatewayProviders(gateway, {
    tools: [...own.values()],
    listTools,
    resources: ownResources,
  });

  const observeToolCall = (tool: string, skill: string, outcome: string, durationMs: number) =>
    toolCallSeconds.observe({ tool, skill, outcome }, durationMs / 1000);
  gateway.on('tool-call', (event) => {
    // Unknown names are not labels: a client could otherwise grow the series without bound. A gateway failure
    // other than an unknown name reaches the client as an isError result.
    observeToolCall(
      event.skill ? event.name : '(unknown)',
      event.skill ?? '(unknown)',
      event.outcome === 'ok' ? 'ok' : event.skill ? 'tool-error' : 'protocol-error',
      event.durationMs,
    );
    if (config.recordSkillCalls && event.skill) void recordSkillCall(event);
  });
  let accepting = true;
  const tools: ToolProvider = {
    list: providers.tools.list,
    call: (name, args, scope) => {
      if (!accepting)
        throw new JsonRpcError(
          MimoErrorCode.SHUTTING_DOWN,
          'Mimo is shutting down; try again after it restarts',
        );
      // A skill's tool is observed through the gateway's tool-call event; Mimo's own never throw.
      if (!own.has(name)) return providers.tools.call(name, args, scope);
      const started = performance.now();
      return providers.tools.call(name, args, scope).then((result) => {
        observeToolCall(name, 'mimo', result.isError ? 'tool-error' : 'ok', performance.now() - started);
        return result;
      });
    },
  };

  const server = new McpServer({
    serverInfo: { name: 'mimo', title: 'Mimo', version: VERSION },
    instructions:
      'Mimo remembers across sessions. Use memory_search before answering questions about past decisions, preferences or facts, and memory_store to keep new ones. The knowledge-graph tools (create_entities, search_nodes, …) keep structured facts. Skill tools are named <skill>__<tool>.',
    tools,
    resources: providers.resources,
    prompts: providers.prompts,
    endpoint: { maxConcurrentRequests: 256 },
  });
  server.on('client-connected', ({ era, protocolVersion, clientInfo }) =>
    logger.info({ era, protocolVersion, client: clientInfo }, 'client connected'),
  );
  server.on('request', ({ method, durationMs, error }) => {
    if (error)
      logger.debug({ method, durationMs, code: error.code, message: error.message }, 'request failed');
  });
  gateway.on('tools-changed', ({ reason, skills }) => {
    logger.info({ reason, skills }, 'skill tools changed');
    void server.notifyListChanged('tools');
    void server.notifyListChanged('resources');
  });

  // Hot reload of the skills: an edit of the file's mcpServers adds, removes or restarts only the skills it
  // changes. The rest of the file is read at start only.
  const configPath = config.configPath;
  let reloading: Promise<void> = Promise.resolve();
  const reloadSkills = async () => {
    let next: MimoConfig;
    try {
      next = loadConfig({ config: configPath });
    } catch (error) {
      logger.error({ err: error }, 'configuration file invalid after an edit; the skills stay as they were');
      return;
    }
    try {
      const result = await gateway.reload({ mcpServers: next.mcpServers });
      logger.info(result, 'skills reloaded from the configuration file');
      warnMisconfigured([...result.added, ...result.restarted]);
    } catch (error) {
      logger.error({ err: error }, 'reloading the skills failed; they stay as they were');
    }
  };
  const watcher = configPath
    ? watchConfigFile(configPath, () => {
        reloading = reloading.then(reloadSkills);
      })
    : undefined;

  let closing: Promise<void> | undefined;
  return {
    server,
    store,
    gateway,
    monitor,
    manager,
    listTools,
    stopAccepting() {
      accepting = false;
    },
    status,
    close() {
      closing ??= (async () => {
        // A reload still running finds the gateway closed and stops there.
        watcher?.close();
        monitor.close();
        await gateway
          .close()
          .catch((error: unknown) => logger.error({ err: error }, 'closing the gateway failed'));
        await manager.close().catch(() => {});
        await store
          .close()
          .catch((error: unknown) => logger.error({ err: error }, 'closing the database failed'));
      })();
      return closing;
    },
  };
}
