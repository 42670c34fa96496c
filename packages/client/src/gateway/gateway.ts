import { type Disposable, Listeners, type OptionKeys, rejectUnknownOptions } from '@mimo-mcp/core';
import {
  createProcessManager,
  type ProcessManager,
  type ProcessManagerOptions,
} from '@mimo-mcp/process-manager';
import type {
  CallToolResult,
  GetPromptResult,
  Implementation,
  Prompt,
  ReadResourceResult,
  Resource,
  Tool,
} from '@mimo-mcp/protocol-parser';
import { ClientError } from '../errors.js';
import type { CallOptions } from '../mcp-client.js';
import { CLIENT_VERSION } from '../version.js';
import { CatalogCache } from './catalog-cache.js';
import {
  canonical,
  type GatewayConfig,
  loadGatewayConfig,
  parseGatewayConfig,
  type ResolvedGatewayConfig,
  type SkillConfig,
} from './config.js';
import { exposedPrefixes, exposedUri, NameRegistry, resolveUri } from './names.js';
import { Skill, type SkillDefaults, type SkillEvents, type SkillHealth, type SkillStatus } from './skill.js';
import { watchConfigFile } from './watch.js';

export interface SkillGatewayOptions {
  /** The configuration (the `mcpServers` shape), or the path of a JSON file holding it. */
  config: GatewayConfig | string;
  /** Reload when the configuration file changes. @default true when `config` is a path */
  watch?: boolean;
  /** The process manager to start stdio skills with. @default one created from `processManagerOptions`, closed with the gateway */
  processManager?: ProcessManager;
  processManagerOptions?: ProcessManagerOptions;
  /** Sent to skills as `clientInfo`. @default { name: 'mimo-gateway', version: <this package's version> } */
  clientInfo?: Implementation;
  /** Defaults for every skill (each skill's own options win). */
  defaults?: Partial<Omit<SkillDefaults, 'clientInfo'>> & {
    /** @default 'lazy' */
    startup?: 'lazy' | 'eager';
  };
  /**
   * Where to persist each skill's last discovered catalog (a JSON file, replaced atomically; an entry is
   * valid only for the exact configuration it was discovered with). With it, lazy skills are listed at once
   * from the file and start only on their first call. @default no cache: lazy skills are started once by
   * `start()` to learn their catalogs
   */
  catalogCache?: { path: string };
}

/** A tool as the gateway exposes it: the prefixed name, and where it comes from in `_meta`. */
export type GatewayTool = Tool & { _meta: Record<string, unknown> };

export interface ReloadResult {
  added: string[];
  removed: string[];
  restarted: string[];
  unchanged: string[];
}

export interface SkillGatewayEvents extends Record<string, unknown> {
  /** The exposed tools (or prompts or resources) changed: once per change, once per reload. */
  'tools-changed': { reason: 'skill-catalog' | 'reload'; skills: string[] };
  'skill-health': SkillEvents['health-change'];
  'skill-log': SkillEvents['log'];
  'skill-stderr': SkillEvents['stderr-line'];
  'config-reloaded': ReloadResult & { durationMs: number };
  /** A changed configuration file was invalid; the previous configuration stays in force. */
  'config-invalid': { error: ClientError };
  /** A skill's tool could not be exposed because its name collides with another's. */
  'name-collision': { skill: string; name: string };
  /** A skill wrote lines to stdout that are not protocol messages (rate-limited: see `SkillEvents`). */
  'skill-output-invalid': SkillEvents['output-invalid'];
  /** The catalog cache file could not be read (it is then ignored) or written. */
  'catalog-cache-error': { path: string; error: Error };
  /**
   * A `callTool` settled. `skill` and `tool` are the upstream names (resolved once, after a lazy skill's
   * discovery); both are undefined for a name nothing answers to. `outcome` is `ok`, `tool-error` (an
   * `isError` result) or `error` (the call threw: `error`).
   */
  'tool-call': ToolCallEvent;
}

/** The payload of the gateway's `tool-call` event. */
export interface ToolCallEvent {
  /** The exposed name the caller used. */
  name: string;
  skill: string | undefined;
  tool: string | undefined;
  /** The arguments as given (they may hold secrets: redact before logging or storing them). */
  arguments: Record<string, unknown>;
  durationMs: number;
  outcome: 'ok' | 'tool-error' | 'error';
  error?: ClientError;
}

/** Where the gateway records an exposed tool's origin, in `tool._meta`. */
export const GATEWAY_META_KEY = 'io.github.mimo-mcp/gateway';

/**
 * Many MCP servers ("skills") behind one surface. See {@link createSkillGateway}.
 */
export interface SkillGateway extends AsyncDisposable {
  /**
   * Starts eager skills, and discovers the catalogs of lazy skills that have none in the catalog cache
   * (then stops them again); resolves when all of that is done. Lazy skills with a cached catalog are not
   * started. Skills that fail stay visible with their health and `lastError`.
   */
  start(options?: { signal?: AbortSignal }): Promise<void>;
  /** Every exposed tool, `<skill>__<tool>`, in a stable order (skills by name, tools in upstream order). */
  listTools(): GatewayTool[];
  /**
   * Calls an exposed tool: starts its skill if needed (bounded by the call's timeout), then runs the call
   * through the skill's bulkhead, breaker and timeout. A name of a configured skill (`<skill>__…`) whose
   * catalog is not known yet (or only from the cache) waits for that skill's discovery, within the call's
   * timeout, before it is judged unknown.
   * @throws {ClientError} `UNKNOWN_NAME`, `SKILL_UNAVAILABLE`, `TIMEOUT`, `ABORTED`, `REMOTE_ERROR`, `CONNECT_FAILED`
   */
  callTool(name: string, args?: Record<string, unknown>, options?: CallOptions): Promise<CallToolResult>;
  /** The skill and upstream tool behind an exposed name. */
  resolveTool(name: string): { skill: string; tool: string } | undefined;
  listPrompts(): Prompt[];
  getPrompt(name: string, args?: Record<string, string>, options?: CallOptions): Promise<GetPromptResult>;
  /** Resources with URIs rewritten to `mimo-skill://<skill>/<original>`. */
  listResources(): Resource[];
  readResource(uri: string, options?: CallOptions): Promise<ReadResourceResult>;
  skills(): SkillStatus[];
  restartSkill(name: string, options?: { signal?: AbortSignal }): Promise<void>;
  stopSkill(name: string): Promise<void>;
  /** Applies a new configuration (or re-reads the file): only added, removed or changed skills are touched. */
  reload(config?: GatewayConfig): Promise<ReloadResult>;
  on<E extends keyof SkillGatewayEvents>(
    event: E,
    listener: (payload: SkillGatewayEvents[E]) => void,
  ): Disposable;
  close(): Promise<void>;
}

/**
 * Creates a skill gateway from an `mcpServers` configuration: each stdio skill runs through the process
 * manager (allow-listed, in its own process group, restarted with backoff), each HTTP skill through the
 * Streamable HTTP transport; their tools are exposed as `<skill>__<tool>` names that always match
 * `^[a-zA-Z0-9_-]{1,64}$`; every skill has its own circuit breaker, bulkhead and timeout.
 *
 * @throws {ClientError} `INVALID_CONFIG`; `INVALID_ARGUMENT` for an unknown option (the message names it)
 * @example
 * const gateway = await createSkillGateway({ config: 'mcp.json' });
 * await gateway.start();
 * const result = await gateway.callTool('filesystem__read_file', { path: '/tmp/notes.txt' });
 */
export async function createSkillGateway(options: SkillGatewayOptions): Promise<SkillGateway> {
  rejectUnknownOptions('createSkillGateway', options, OPTION_KEYS, ClientError);
  if (options.defaults)
    rejectUnknownOptions('createSkillGateway defaults', options.defaults, DEFAULT_KEYS, ClientError);
  const path = typeof options.config === 'string' ? options.config : undefined;
  const config = path ? await loadGatewayConfig(path) : parseGatewayConfig(options.config);
  const cache = options.catalogCache ? new CatalogCache(options.catalogCache.path) : undefined;
  const cacheError = await cache?.load();
  return new Gateway(options, config, path, cache, cacheError);
}

const OPTION_KEYS = {
  config: true,
  watch: true,
  processManager: true,
  processManagerOptions: true,
  clientInfo: true,
  defaults: true,
  catalogCache: true,
} satisfies OptionKeys<SkillGatewayOptions>;
const DEFAULT_KEYS = {
  timeoutMs: true,
  connectTimeoutMs: true,
  maxConcurrency: true,
  breakerThreshold: true,
  breakerHalfOpenAfterMs: true,
  startup: true,
} satisfies OptionKeys<NonNullable<SkillGatewayOptions['defaults']>>;

class Gateway implements SkillGateway {
  readonly #path: string | undefined;
  readonly #defaults: SkillDefaults & { startup: 'lazy' | 'eager' };
  readonly #manager: ProcessManager;
  readonly #ownsManager: boolean;
  readonly #events = new Listeners<SkillGatewayEvents>();
  readonly #skills = new Map<string, { skill: Skill; subscriptions: Disposable[] }>();
  #tools = new NameRegistry();
  #prompts = new NameRegistry();
  #exposedTools: GatewayTool[] = [];
  #exposedPrompts: Prompt[] = [];
  #exposedResources: Resource[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #reloading = false;
  #watcher: { close(): void } | undefined;
  #closed = false;
  readonly #cache: CatalogCache | undefined;
  /** Why the cache file was ignored, reported at `start()` (nobody listens before). */
  #cacheError: Error | undefined;

  constructor(
    options: SkillGatewayOptions,
    config: ResolvedGatewayConfig,
    path: string | undefined,
    cache: CatalogCache | undefined,
    cacheError: Error | undefined,
  ) {
    this.#path = path;
    this.#cache = cache;
    this.#cacheError = cacheError;
    const defaults = options.defaults ?? {};
    this.#defaults = {
      timeoutMs: defaults.timeoutMs ?? 60_000,
      connectTimeoutMs: defaults.connectTimeoutMs ?? 30_000,
      maxConcurrency: defaults.maxConcurrency ?? 16,
      breakerThreshold: defaults.breakerThreshold ?? 5,
      breakerHalfOpenAfterMs: defaults.breakerHalfOpenAfterMs ?? 30_000,
      startup: defaults.startup ?? 'lazy',
      clientInfo: options.clientInfo ?? { name: 'mimo-gateway', version: CLIENT_VERSION },
    };
    this.#ownsManager = options.processManager === undefined;
    this.#manager = options.processManager ?? createProcessManager(options.processManagerOptions);
    for (const [name, skillConfig] of Object.entries(config.mcpServers)) this.#add(name, skillConfig);
    this.#rebuild();
    if (path && (options.watch ?? true)) this.#watch(path);
  }

  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#assertOpen();
    if (this.#cache && this.#cacheError) {
      this.#events.emit('catalog-cache-error', { path: this.#cache.path, error: this.#cacheError });
      this.#cacheError = undefined;
    }
    // What a crashed earlier run left behind goes before anything new starts.
    await this.#manager.reapLeftovers();
    await Promise.all([...this.#skills.values()].map(({ skill }) => this.#bringUp(skill, options.signal)));
  }

  /** Starts an eager skill; discovers a lazy one that has no catalog (a cached one is enough). */
  async #bringUp(skill: Skill, signal?: AbortSignal): Promise<void> {
    if (skill.config.disabled || skill.health === 'misconfigured') return;
    try {
      if ((skill.config.startup ?? this.#defaults.startup) === 'eager') await skill.ensureReady(signal);
      else if (!skill.catalog) await skill.discover(signal);
    } catch {
      // The skill's health and lastError say what went wrong; the gateway serves the others.
    }
  }

  listTools(): GatewayTool[] {
    return this.#exposedTools;
  }

  resolveTool(name: string): { skill: string; tool: string } | undefined {
    const pair = this.#tools.resolve(name);
    return pair ? { skill: pair.skill, tool: pair.name } : undefined;
  }

  async callTool(
    name: string,
    args: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    this.#assertOpen();
    const started = performance.now();
    let pair: { skill: string; name: string } | undefined;
    const settled = (outcome: ToolCallEvent['outcome'], error?: ClientError) =>
      this.#events.emit('tool-call', {
        name,
        skill: pair?.skill,
        tool: pair?.name,
        arguments: args,
        durationMs: performance.now() - started,
        outcome,
        ...(error ? { error } : {}),
      });
    try {
      const resolved = await this.#resolveWaiting(() => this.#tools, name, options);
      pair = resolved.pair;
      const entry = pair ? this.#skills.get(pair.skill) : undefined;
      if (!pair || !entry) {
        pair = undefined;
        throw new ClientError('UNKNOWN_NAME', `No tool named ${JSON.stringify(name)} is exposed`);
      }
      const result = await entry.skill.callTool(pair.name, args, resolved.options);
      settled(result.isError ? 'tool-error' : 'ok');
      return result;
    } catch (error) {
      settled('error', ClientError.isInstance(error) ? error : undefined);
      throw error;
    }
  }

  /**
   * Resolves an exposed name. A name that may belong to a skill whose catalog is not known yet (or only
   * from the cache) first waits for that skill's listing, within the call's timeout; the call then gets
   * what is left of its timeout.
   */
  async #resolveWaiting(
    registry: () => NameRegistry,
    name: string,
    options: CallOptions,
  ): Promise<{ pair: { skill: string; name: string } | undefined; options: CallOptions }> {
    const pair = registry().resolve(name);
    const skill = pair ? undefined : this.#undiscoveredOwner(name);
    if (!skill) return { pair, options };
    const timeoutMs = Math.min(
      options.timeoutMs ?? Number.POSITIVE_INFINITY,
      skill.config.timeoutMs ?? this.#defaults.timeoutMs,
    );
    const deadline = Date.now() + timeoutMs;
    const timer = AbortSignal.timeout(timeoutMs);
    try {
      await skill.ensureReady(AbortSignal.any([timer, ...(options.signal ? [options.signal] : [])]), {
        forCall: true,
      });
    } catch (error) {
      if (timer.aborted && !options.signal?.aborted) {
        throw new ClientError(
          'TIMEOUT',
          `${name}: skill ${skill.name} did not finish starting within ${timeoutMs} ms`,
          { cause: error },
        );
      }
      throw error;
    }
    // During a reload the exposed lists are rebuilt only at its end: a skill the reload added may be ready
    // before that, so rebuild now rather than call its tool unknown.
    if (!registry().resolve(name)) this.#rebuild();
    return {
      pair: registry().resolve(name),
      options: { ...options, timeoutMs: Math.max(1, deadline - Date.now()) },
    };
  }

  /** The configured skill an exposed name may belong to, while that skill's catalog is not discovered. */
  #undiscoveredOwner(name: string): Skill | undefined {
    for (const [skillName, { skill }] of this.#skills) {
      if (skill.catalogSource === 'discovered') continue;
      if (exposedPrefixes(skillName).some((prefix) => name.startsWith(prefix))) return skill;
    }
    return undefined;
  }

  listPrompts(): Prompt[] {
    return this.#exposedPrompts;
  }

  async getPrompt(
    name: string,
    args: Record<string, string> = {},
    options: CallOptions = {},
  ): Promise<GetPromptResult> {
    this.#assertOpen();
    const { pair, options: remaining } = await this.#resolveWaiting(() => this.#prompts, name, options);
    const entry = pair ? this.#skills.get(pair.skill) : undefined;
    if (!pair || !entry)
      throw new ClientError('UNKNOWN_NAME', `No prompt named ${JSON.stringify(name)} is exposed`);
    return entry.skill.getPrompt(pair.name, args, remaining);
  }

  listResources(): Resource[] {
    return this.#exposedResources;
  }

  async readResource(uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    this.#assertOpen();
    const target = resolveUri(uri);
    const entry = target ? this.#skills.get(target.skill) : undefined;
    if (!target || !entry)
      throw new ClientError('UNKNOWN_NAME', `No resource ${JSON.stringify(uri)} is exposed`);
    const result = await entry.skill.readResource(target.uri, options);
    return {
      ...result,
      contents: result.contents.map((content) => ({
        ...content,
        uri: exposedUri(target.skill, content.uri),
      })),
    };
  }

  skills(): SkillStatus[] {
    return [...this.#skills.values()]
      .map(({ skill }) => skill.status())
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async restartSkill(name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#skill(name).restart(options.signal);
  }

  async stopSkill(name: string): Promise<void> {
    await this.#skill(name).stop();
  }

  reload(config?: GatewayConfig): Promise<ReloadResult> {
    return this.#serial(async () => {
      this.#assertOpen();
      const started = Date.now();
      const next =
        config !== undefined
          ? parseGatewayConfig(config)
          : this.#path
            ? await loadGatewayConfig(this.#path)
            : undefined;
      if (!next)
        throw new ClientError(
          'INVALID_ARGUMENT',
          'reload() needs a configuration: the gateway was not created from a file',
        );
      const result: ReloadResult = { added: [], removed: [], restarted: [], unchanged: [] };
      this.#reloading = true;
      try {
        for (const [name, { skill }] of [...this.#skills]) {
          const wanted = next.mcpServers[name];
          if (!wanted) {
            await this.#remove(name);
            result.removed.push(name);
          } else if (canonical(wanted) !== canonical(skill.config)) {
            const wasRunning = skill.health === 'ready' || skill.health === 'starting';
            await this.#remove(name);
            const replacement = this.#add(name, wanted);
            result.restarted.push(name);
            if (wasRunning && !wanted.disabled) await replacement.ensureReady().catch(() => {});
            else await this.#bringUp(replacement);
          } else {
            result.unchanged.push(name);
          }
        }
        for (const [name, wanted] of Object.entries(next.mcpServers)) {
          if (this.#skills.has(name)) continue;
          result.added.push(name);
          await this.#bringUp(this.#add(name, wanted));
        }
      } finally {
        this.#reloading = false;
      }
      if (this.#cache) {
        this.#cache.retain(new Set(this.#skills.keys()));
        void this.#persist();
      }
      const changed = [...result.added, ...result.removed, ...result.restarted];
      this.#rebuild();
      if (changed.length > 0)
        this.#events.emit('tools-changed', { reason: 'reload', skills: changed.sort() });
      this.#events.emit('config-reloaded', { ...result, durationMs: Date.now() - started });
      return result;
    });
  }

  on<E extends keyof SkillGatewayEvents>(
    event: E,
    listener: (payload: SkillGatewayEvents[E]) => void,
  ): Disposable {
    return this.#events.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    await Promise.all([...this.#skills.keys()].map((name) => this.#remove(name)));
    if (this.#ownsManager) await this.#manager.close();
    await this.#persist();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #add(name: string, config: SkillConfig): Skill {
    const skill = new Skill(name, config, this.#defaults, this.#manager);
    // A skill that cannot run lists nothing, whatever an earlier run discovered.
    const cached =
      skill.health === 'disabled' || skill.health === 'misconfigured'
        ? undefined
        : this.#cache?.get(name, config);
    if (cached) skill.useCachedCatalog(cached);
    const subscriptions = [
      skill.on('health-change', (event) => this.#events.emit('skill-health', event)),
      skill.on('log', (event) => this.#events.emit('skill-log', event)),
      skill.on('stderr-line', (event) => this.#events.emit('skill-stderr', event)),
      skill.on('output-invalid', (event) => this.#events.emit('skill-output-invalid', event)),
      skill.on('catalog-change', ({ skill: changed }) => {
        const catalog = skill.catalog;
        if (this.#cache && catalog && this.#cache.set(name, config, catalog)) void this.#persist();
        if (this.#reloading) return;
        const before = canonical([this.#exposedTools, this.#exposedPrompts, this.#exposedResources]);
        this.#rebuild();
        if (canonical([this.#exposedTools, this.#exposedPrompts, this.#exposedResources]) !== before) {
          this.#events.emit('tools-changed', { reason: 'skill-catalog', skills: [changed] });
        }
      }),
    ];
    this.#skills.set(name, { skill, subscriptions });
    return skill;
  }

  async #remove(name: string): Promise<void> {
    const entry = this.#skills.get(name);
    if (!entry) return;
    this.#skills.delete(name);
    for (const subscription of entry.subscriptions) subscription.dispose();
    await entry.skill.close();
  }

  /** Rebuilds the exposed lists and name maps from every skill's last catalog, in a stable order. */
  #rebuild(): void {
    const tools = new NameRegistry();
    const prompts = new NameRegistry();
    const exposedTools: GatewayTool[] = [];
    const exposedPrompts: Prompt[] = [];
    const exposedResources: Resource[] = [];
    for (const name of [...this.#skills.keys()].sort()) {
      const { skill } = this.#skills.get(name) as { skill: Skill };
      const catalog = skill.catalog;
      if (!catalog || skill.config.disabled) continue;
      for (const tool of catalog.tools) {
        const exposed = tools.add(name, tool.name);
        if (!exposed) {
          this.#events.emit('name-collision', { skill: name, name: tool.name });
          continue;
        }
        exposedTools.push({
          ...tool,
          name: exposed,
          _meta: { ...tool._meta, [GATEWAY_META_KEY]: { skill: name, tool: tool.name } },
        });
      }
      for (const prompt of catalog.prompts) {
        const exposed = prompts.add(name, prompt.name);
        if (!exposed) {
          this.#events.emit('name-collision', { skill: name, name: prompt.name });
          continue;
        }
        exposedPrompts.push({ ...prompt, name: exposed });
      }
      for (const resource of catalog.resources) {
        exposedResources.push({ ...resource, uri: exposedUri(name, resource.uri) });
      }
    }
    this.#tools = tools;
    this.#prompts = prompts;
    this.#exposedTools = exposedTools;
    this.#exposedPrompts = exposedPrompts;
    this.#exposedResources = exposedResources;
  }

  /** Writes the catalog cache if it changed; a failure is reported, never thrown. */
  async #persist(): Promise<void> {
    const cache = this.#cache;
    if (!cache) return;
    try {
      await cache.flush();
    } catch (error) {
      this.#events.emit('catalog-cache-error', { path: cache.path, error: error as Error });
    }
  }

  #watch(path: string): void {
    this.#watcher = watchConfigFile(path, () => {
      this.reload().catch((error: unknown) => {
        if (ClientError.isInstance(error) && error.code === 'INVALID_CONFIG') {
          this.#events.emit('config-invalid', { error });
        }
      });
    });
  }

  #skill(name: string): Skill {
    const entry = this.#skills.get(name);
    if (!entry) throw new ClientError('UNKNOWN_NAME', `No skill named ${JSON.stringify(name)}`);
    return entry.skill;
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => {});
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientError('CLOSED', 'The gateway is closed');
  }
}

export type { SkillHealth, SkillStatus };
