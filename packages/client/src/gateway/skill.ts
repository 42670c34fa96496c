import { setTimeout as delay } from 'node:timers/promises';
import { type Disposable, Listeners } from '@mimo-mcp/core';
import type { ManagedChild, ProcessManager, Service } from '@mimo-mcp/process-manager';
import type {
  CallToolResult,
  GetPromptResult,
  Implementation,
  Prompt,
  ReadResourceResult,
  Resource,
  Tool,
} from '@mimo-mcp/protocol-parser';
import {
  bulkhead,
  type CircuitBreakerPolicy,
  type CircuitBreakerSnapshot,
  circuitBreaker,
  consecutiveBreaker,
  type Policy,
  ResilienceError,
  retry,
  timeout,
  wrap,
} from '@mimo-mcp/resilience';
import { ClientError } from '../errors.js';
import { type CallOptions, McpClient, type ServerDescription } from '../mcp-client.js';
import { createHttpTransport } from '../transports/http.js';
import { createStdioTransport } from '../transports/stdio.js';
import { isStdioSkill, type SkillConfig, toolAllowed } from './config.js';
import { InvalidOutputMeter, StderrTail } from './skill-diagnostics.js';
import { serviceSpec } from './skill-spec.js';

/**
 * `stopped`: not running (lazy and not started yet, idle, or stopped); `starting`: being started or
 * connected; `ready`: a `tools/list` succeeded since the last (re)start; `degraded`: restarting after a
 * crash, its circuit is testing recovery (half-open), or it floods its stdout with lines that are not
 * protocol messages; `circuit-open`: calls are refused until the breaker lets one through; `crash-loop`:
 * crashed too often, not restarted; `misconfigured`: its entry cannot be run (a command not on the
 * allow-list, an undeclared `${NAME}`…; `lastError` says which); `disabled` by configuration.
 */
export type SkillHealth =
  | 'stopped'
  | 'starting'
  | 'ready'
  | 'degraded'
  | 'circuit-open'
  | 'crash-loop'
  | 'misconfigured'
  | 'disabled';

export interface SkillDefaults {
  timeoutMs: number;
  connectTimeoutMs: number;
  maxConcurrency: number;
  breakerThreshold: number;
  breakerHalfOpenAfterMs: number;
  clientInfo: Implementation;
}

export interface SkillStatus {
  name: string;
  health: SkillHealth;
  transport: 'stdio' | 'http';
  pid: number | undefined;
  protocol: { era: string; version: string } | undefined;
  server: Implementation | undefined;
  tools: number;
  restarts: number;
  breaker: CircuitBreakerSnapshot;
  inFlight: number;
  /** What went wrong last (with the telling line of the process's stderr, and a fix when one is known). */
  lastError: string | undefined;
  /** The last lines (at most 10, each cut at 300 characters) of the current or last process's stderr. */
  stderrTail: string[];
  /** Lines the skill wrote to stdout that were not protocol messages (never answered), since it was added. */
  invalidMessages: number;
}

export interface SkillEvents extends Record<string, unknown> {
  'health-change': { skill: string; from: SkillHealth; to: SkillHealth };
  /** The skill's tools, prompts or resources changed (after a (re)start or a list_changed). */
  'catalog-change': { skill: string };
  log: { skill: string; level: string; data: unknown };
  'stderr-line': { skill: string; line: string };
  /**
   * The skill wrote lines to stdout that are not protocol messages: reported at most once per 10 s, the
   * first at once, then `count` lines since the previous report.
   */
  'output-invalid': { skill: string; count: number; total: number; sample: string };
}

/** A skill's tools, prompts and resources. @internal */
export interface Catalog {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
}

/** Marks failures that happened before the request reached the skill (safe to retry). */
const beforeSend = new WeakSet<object>();

/** Errors that say the skill is unwell (they count against its breaker); a bad request or a tool error does not. */
function isInfrastructureFailure(error: unknown): boolean {
  // A timeout from the policy means the skill did not answer; a full bulkhead or the caller's abort does not.
  if (ResilienceError.isInstance(error)) return error.code === 'TIMEOUT';
  if (!ClientError.isInstance(error)) return true;
  switch (error.code) {
    case 'TIMEOUT':
    case 'NOT_CONNECTED':
    case 'CONNECT_FAILED':
    case 'PROTOCOL_VIOLATION':
      return true;
    case 'REMOTE_ERROR':
      return (
        error.remoteCode === -32603 ||
        (error.remoteCode !== undefined && error.remoteCode <= -32000 && error.remoteCode >= -32099)
      );
    default:
      return false;
  }
}

/**
 * One upstream MCP server behind the gateway: its process (through the process manager) or URL, its
 * client, its catalog, and its protection (circuit breaker, bulkhead, timeout). @internal
 */
export class Skill {
  readonly name: string;
  readonly config: SkillConfig;
  readonly #defaults: SkillDefaults;
  readonly #manager: ProcessManager | undefined;
  readonly #events = new Listeners<SkillEvents>();
  readonly #breaker: CircuitBreakerPolicy;
  readonly #bulkhead: ReturnType<typeof bulkhead>;
  readonly #service: Service | undefined;
  readonly #subscriptions: Disposable[] = [];
  #client: McpClient | undefined;
  /** The child `#client` talks to (stdio skills). */
  #clientChild: ManagedChild | undefined;
  #connecting: Promise<McpClient> | undefined;
  /**
   * The one connection attempt per child. The spawn of a restarted child and a call waiting for it both
   * connect to it; two clients on one child would interleave on its pipes, and the loser's close would end
   * the winner's stdin.
   */
  readonly #attempts = new WeakMap<ManagedChild, Promise<McpClient>>();
  #catalog: Catalog | undefined;
  /** Where `#catalog` comes from: a persisted earlier discovery, or this run's listing. */
  #catalogSource: 'cache' | 'discovered' | undefined;
  #health: SkillHealth;
  /** Why the entry cannot be run, when registering it failed. */
  readonly #misconfigured: string | undefined;
  /** The current (or last) process's stderr; a new one per process. */
  #stderr = new StderrTail();
  readonly #invalidOutput: InvalidOutputMeter;
  /** Calls taken so far (a discovery does not stop a skill that a call started using meanwhile). */
  #calls = 0;
  #lastError: string | undefined;
  #closed = false;
  /** Bumped on every (re)connect, so stale callbacks of an old client are ignored. */
  #generation = 0;
  /** Learned once: a server that exits on the `server/discover` probe is legacy; later starts skip the probe. */
  #legacyOnly = false;

  constructor(
    name: string,
    config: SkillConfig,
    defaults: SkillDefaults,
    manager: ProcessManager | undefined,
  ) {
    this.name = name;
    this.config = config;
    this.#defaults = defaults;
    this.#manager = manager;
    this.#health = config.disabled ? 'disabled' : 'stopped';
    this.#invalidOutput = new InvalidOutputMeter(
      (count, sample) =>
        this.#events.emit('output-invalid', { skill: name, count, total: this.#invalidOutput.total, sample }),
      () => this.#refreshHealth(),
    );
    this.#breaker = circuitBreaker({
      name,
      breaker: consecutiveBreaker(defaults.breakerThreshold),
      halfOpenAfterMs: defaults.breakerHalfOpenAfterMs,
      shouldCount: isInfrastructureFailure,
    });
    this.#breaker.on('state-change', () => this.#refreshHealth());
    const concurrency = config.maxConcurrency ?? defaults.maxConcurrency;
    this.#bulkhead = bulkhead({ maxConcurrent: concurrency, maxQueued: concurrency * 4 });
    if (isStdioSkill(config) && !config.disabled) {
      if (!manager) throw new ClientError('INVALID_ARGUMENT', `Skill ${name} needs a process manager`);
      let service: Service | undefined;
      try {
        service = manager.register(`skill:${name}`, serviceSpec(config));
      } catch (error) {
        // A bad entry is this skill's problem, shown in its status; the gateway serves the others.
        this.#misconfigured = `Skill ${name} cannot be started as configured: ${(error as Error).message}`;
        this.#lastError = this.#misconfigured;
        this.#health = 'misconfigured';
      }
      this.#service = service;
      if (service) this.#supervise(service);
    }
  }

  #supervise(service: Service): void {
    const name = this.name;
    this.#subscriptions.push(
      service.on('state-change', () => this.#refreshHealth()),
      service.on('stderr-line', ({ line }) => {
        this.#stderr.push(line);
        this.#events.emit('stderr-line', { skill: name, line });
      }),
      service.on('spawn', ({ child, restarts }) => {
        this.#stderr = new StderrTail();
        // A restart after a crash gets a fresh handshake and catalog at once, so the skill is ready again
        // (shared with any call waiting for that child: one connection per child).
        if (restarts > 0 && !this.#closed) void this.#connectChild(child).catch(() => {});
      }),
      service.on('exit', ({ pid, code, signal, requested }) => {
        if (!requested && !this.#closed)
          this.#lastError = this.#stderr.describe(exitedWith(code, signal), true);
        // Only the client of the child that exited: a later child's client stays.
        if (this.#clientChild === undefined || this.#clientChild.pid === pid) this.#dropClient();
      }),
    );
  }

  get health(): SkillHealth {
    return this.#health;
  }

  /** Tools, prompts and resources from the last successful listing (filtered by allow/deny). */
  get catalog(): Catalog | undefined {
    return this.#catalog;
  }

  /** `cache` until the skill was listed in this run (then `discovered`); undefined when unknown. */
  get catalogSource(): 'cache' | 'discovered' | undefined {
    return this.#catalogSource;
  }

  /** Takes a persisted earlier discovery as the catalog until the skill is listed for real. */
  useCachedCatalog(catalog: Catalog): void {
    if (this.#catalog) return;
    this.#catalog = catalog;
    this.#catalogSource = 'cache';
  }

  on<E extends keyof SkillEvents>(event: E, listener: (payload: SkillEvents[E]) => void): Disposable {
    return this.#events.on(event, listener);
  }

  status(): SkillStatus {
    const server: ServerDescription | undefined = this.#client?.server;
    return {
      name: this.name,
      health: this.#health,
      transport: isStdioSkill(this.config) ? 'stdio' : 'http',
      pid: this.#service?.child?.pid,
      protocol: server ? { era: server.era, version: server.protocolVersion } : undefined,
      server: server?.serverInfo,
      tools: this.#catalog?.tools.length ?? 0,
      restarts: this.#service?.restarts ?? 0,
      breaker: this.#breaker.snapshot(),
      inFlight: this.#bulkhead.stats().active,
      lastError: this.#lastError,
      stderrTail: this.#stderr.shown(),
      invalidMessages: this.#invalidOutput.total,
    };
  }

  /** Starts the skill to learn its catalog, then stops it again, unless a call started using it meanwhile. */
  async discover(signal?: AbortSignal): Promise<void> {
    const calls = this.#calls;
    await this.ensureReady(signal);
    if (this.#calls === calls) await this.stop();
  }

  /**
   * Starts the skill if needed and resolves once it is ready (handshake done, catalog listed). With
   * `forCall`, the wait counts as a call: a discovery running at the same time leaves the skill running.
   * @throws {ClientError} `SKILL_UNAVAILABLE`, `CONNECT_FAILED`, `TIMEOUT`, `ABORTED`
   */
  async ensureReady(signal?: AbortSignal, options: { forCall?: boolean } = {}): Promise<McpClient> {
    this.#assertUsable();
    if (options.forCall) this.#calls++;
    const client = this.#client;
    if (client?.connected && this.#catalog) return client;
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
      // `starting` lasted as long as the attempt: say what it ended in.
      this.#refreshHealth();
    });
    return signal ? raceSignal(this.#connecting, signal) : this.#connecting;
  }

  /**
   * Calls one of the skill's tools through its bulkhead, breaker and timeout; retries only where it is safe
   * (a read-only tool, or a failure before the request was sent).
   */
  async callTool(
    tool: string,
    args: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    this.#assertUsable();
    this.#calls++;
    const definition = this.#catalog?.tools.find((entry) => entry.name === tool);
    const readOnly = definition?.annotations?.readOnlyHint === true;
    const timeoutMs = Math.min(
      options.timeoutMs ?? Number.POSITIVE_INFINITY,
      this.config.timeoutMs ?? this.#defaults.timeoutMs,
    );
    const policy = this.#policy(timeoutMs, readOnly);
    this.#service?.touch();
    try {
      return await policy.execute(async ({ signal }) => {
        let client: McpClient;
        try {
          client = await this.ensureReady(signal);
        } catch (error) {
          if (typeof error === 'object' && error !== null) beforeSend.add(error);
          throw error;
        }
        // The policy's timeout is the call's one deadline (its signal): the request arms no timer of its own.
        return client.callTool(tool, args, { ...options, signal, timeoutMs: Number.POSITIVE_INFINITY });
      }, options.signal);
    } catch (error) {
      throw this.#translate(error, `${this.name}/${tool}`);
    } finally {
      this.#service?.touch();
    }
  }

  async getPrompt(
    name: string,
    args: Record<string, string>,
    options: CallOptions = {},
  ): Promise<GetPromptResult> {
    return this.#simple(`${this.name}/${name}`, options, (client, signal) =>
      client.getPrompt(name, args, { ...options, signal, timeoutMs: Number.POSITIVE_INFINITY }),
    );
  }

  async readResource(uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    return this.#simple(`${this.name} ${uri}`, options, (client, signal) =>
      client.readResource(uri, { ...options, signal, timeoutMs: Number.POSITIVE_INFINITY }),
    );
  }

  /** Stops the skill's process (or HTTP connection). It starts again on the next call. */
  async stop(): Promise<void> {
    this.#dropClient();
    await this.#service?.stop();
    this.#refreshHealth();
  }

  /** Stops and starts the skill, resetting its breaker and crash-loop state. */
  async restart(signal?: AbortSignal): Promise<void> {
    this.#assertOpen();
    await this.stop();
    this.#breaker.reset();
    if (this.#service) await this.#service.start({ resetCrashLoop: true, ...(signal ? { signal } : {}) });
    await this.ensureReady(signal);
  }

  /** Stops everything and unregisters the process. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#dropClient();
    this.#invalidOutput.close();
    for (const subscription of this.#subscriptions.splice(0)) subscription.dispose();
    if (this.#service && this.#manager) await this.#manager.unregister(this.#service.id);
    this.#setHealth('stopped');
  }

  #policy(timeoutMs: number, readOnly: boolean): Policy {
    // Retry outermost: each attempt goes through the breaker and gets its own timeout. The timeout sits
    // outside the bulkhead, which holds a slot until the call settles (see @mimo-mcp/resilience).
    const retries = retry({
      maxAttempts: 2,
      initialDelayMs: 100,
      maxDelayMs: 1000,
      shouldRetry: (error) => (readOnly ? isInfrastructureFailure(error) : beforeSend.has(error as object)),
    });
    return wrap(retries, this.#breaker, timeout(timeoutMs), this.#bulkhead);
  }

  async #simple<T>(
    what: string,
    options: CallOptions,
    /** `signal` carries the call's deadline (the policy's timeout). */
    run: (client: McpClient, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    this.#assertUsable();
    this.#calls++;
    const timeoutMs = Math.min(
      options.timeoutMs ?? Number.POSITIVE_INFINITY,
      this.config.timeoutMs ?? this.#defaults.timeoutMs,
    );
    this.#service?.touch();
    try {
      return await wrap(this.#breaker, timeout(timeoutMs), this.#bulkhead).execute(
        async ({ signal }) => run(await this.ensureReady(signal), signal),
        options.signal,
      );
    } catch (error) {
      throw this.#translate(error, what);
    }
  }

  #translate(error: unknown, what: string): ClientError {
    if (ResilienceError.isInstance(error)) {
      const code =
        error.code === 'TIMEOUT' ? 'TIMEOUT' : error.code === 'ABORTED' ? 'ABORTED' : 'SKILL_UNAVAILABLE';
      const reason =
        error.code === 'BREAKER_OPEN'
          ? `its circuit is open after repeated failures (retry in ${Math.ceil(this.#breaker.snapshot().retryAfterMs / 1000)} s)`
          : error.code === 'BULKHEAD_FULL'
            ? `it is at its concurrency limit (maxConcurrency ${this.config.maxConcurrency ?? this.#defaults.maxConcurrency}) and its queue is full`
            : error.message;
      return new ClientError(
        code,
        code === 'SKILL_UNAVAILABLE'
          ? `Skill ${this.name} cannot take ${what}: ${reason}`
          : `${what}: ${reason}`,
        {
          cause: error,
          ...(error.data ? { data: error.data } : {}),
        },
      );
    }
    if (ClientError.isInstance(error)) {
      if (isInfrastructureFailure(error)) this.#lastError = error.message;
      return error;
    }
    this.#lastError = (error as Error)?.message ?? String(error);
    return new ClientError('SKILL_UNAVAILABLE', `Skill ${this.name} failed ${what}: ${this.#lastError}`, {
      cause: error,
    });
  }

  async #connect(): Promise<McpClient> {
    const connectTimeoutMs = this.config.connectTimeoutMs ?? this.#defaults.connectTimeoutMs;
    const signal = AbortSignal.timeout(connectTimeoutMs);
    this.#setHealth('starting');
    let child: ManagedChild | undefined;
    let stderr = this.#stderr;
    try {
      if (this.#service) {
        child = await this.#runningChild(this.#service, signal);
        stderr = this.#stderr;
        try {
          return await this.#connectChild(child, signal);
        } catch (error) {
          if (!(ClientError.isInstance(error) && error.data?.closedDuringProbe) || this.#legacyOnly)
            throw error;
          // The server exited on the probe: it is a legacy server. Start it afresh (not a crash) and handshake.
          this.#legacyOnly = true;
          child = await this.#service.restart({ signal });
          stderr = this.#stderr;
          return await this.#connectChild(child, signal);
        }
      }
      return await this.#connectTo(undefined, signal);
    } catch (error) {
      const reason = await explainFailure((error as Error).message, child, stderr);
      this.#lastError = `Skill ${this.name} could not start: ${reason}`;
      this.#refreshHealth();
      if (ClientError.isInstance(error)) {
        throw new ClientError(error.code, this.#lastError, {
          cause: error,
          ...(error.data ? { data: error.data } : {}),
          ...(error.remoteCode !== undefined ? { remoteCode: error.remoteCode } : {}),
        });
      }
      const code = (error as { code?: string }).code;
      throw new ClientError(
        code === 'CRASH_LOOP' ||
          code === 'TOO_MANY_PROCESSES' ||
          code === 'QUEUE_TIMEOUT' ||
          code === 'STOPPED' ||
          code === 'CLOSED'
          ? 'SKILL_UNAVAILABLE'
          : 'CONNECT_FAILED',
        this.#lastError,
        { cause: error },
      );
    }
  }

  /**
   * The service's live child, starting it if needed. A child whose stdout already ended is dead or dying,
   * but the process manager reports its exit only once its whole group is gone: wait for that, then for the
   * restart that follows (or the error that replaces it), instead of connecting to a corpse.
   */
  async #runningChild(service: Service, signal: AbortSignal): Promise<ManagedChild> {
    for (;;) {
      const child = await service.start({ signal });
      if (!child.stdout.readableEnded && !child.stdout.destroyed) return child;
      await raceSignal(child.exited, signal);
    }
  }

  /** Connects to `child` once: every caller asking for the same child shares the one attempt. */
  #connectChild(child: ManagedChild, signal?: AbortSignal): Promise<McpClient> {
    let attempt = this.#attempts.get(child);
    if (!attempt) {
      const started = this.#connectTo(child, signal);
      attempt = started;
      this.#attempts.set(child, started);
      // A failed attempt may be tried again (e.g. after a timeout) while the child lives.
      started.catch(() => {
        if (this.#attempts.get(child) === started) this.#attempts.delete(child);
      });
    }
    return signal ? raceSignal(attempt, signal) : attempt;
  }

  /** Handshake and catalog over a fresh client: for a new child, or the HTTP endpoint. */
  async #connectTo(child: ManagedChild | undefined, signal?: AbortSignal): Promise<McpClient> {
    const generation = ++this.#generation;
    this.#dropClient(false);
    const client = new McpClient({
      clientInfo: this.#defaults.clientInfo,
      versionNegotiation: this.#legacyOnly ? 'legacy' : (this.config.protocol ?? 'auto'),
      requestTimeoutMs: this.config.timeoutMs ?? this.#defaults.timeoutMs,
      connectTimeoutMs: this.config.connectTimeoutMs ?? this.#defaults.connectTimeoutMs,
    });
    // The process manager stops the child (stdin first); a client's close must never end its stdin.
    const transport = child
      ? createStdioTransport(child, { endStdinOnClose: false })
      : createHttpTransport({
          url: (this.config as { url: string }).url,
          ...((this.config as { headers?: Record<string, string> }).headers
            ? { headers: (this.config as { headers: Record<string, string> }).headers }
            : {}),
        });
    try {
      const server = await client.connect(transport, signal ? { signal } : {});
      const catalog = await this.#list(client, server, signal);
      if (generation !== this.#generation || this.#closed) {
        await client.close();
        throw new ClientError('SKILL_UNAVAILABLE', `Skill ${this.name} was restarted while connecting`);
      }
      this.#client = client;
      this.#clientChild = child;
      this.#catalog = catalog;
      this.#catalogSource = 'discovered';
      this.#lastError = undefined;
      client.on('tools-changed', () => void this.#relist(client, generation));
      client.on('prompts-changed', () => void this.#relist(client, generation));
      client.on('resources-changed', () => void this.#relist(client, generation));
      client.on('log', ({ level, data }) => this.#events.emit('log', { skill: this.name, level, data }));
      client.on('message-invalid', ({ reason }) => this.#invalidOutput.record(reason));
      client.on('close', () => {
        if (this.#client === client) this.#dropClient();
      });
      this.#refreshHealth();
      this.#events.emit('catalog-change', { skill: this.name });
      return client;
    } catch (error) {
      await client.close().catch(() => {});
      throw error;
    }
  }

  async #list(client: McpClient, server: ServerDescription, signal?: AbortSignal): Promise<Catalog> {
    const options = signal ? { signal } : {};
    const tools = server.capabilities.tools ? await client.listTools(options) : [];
    const prompts = server.capabilities.prompts ? await client.listPrompts(options).catch(() => []) : [];
    const resources = server.capabilities.resources
      ? await client.listResources(options).catch(() => [])
      : [];
    return { tools: tools.filter((tool) => toolAllowed(this.config, tool.name)), prompts, resources };
  }

  async #relist(client: McpClient, generation: number): Promise<void> {
    try {
      const server = client.server;
      if (!server) return;
      const catalog = await this.#list(client, server);
      if (generation !== this.#generation) return;
      this.#catalog = catalog;
      this.#catalogSource = 'discovered';
      this.#events.emit('catalog-change', { skill: this.name });
    } catch (error) {
      this.#lastError = `re-listing after list_changed failed: ${(error as Error).message}`;
    }
  }

  #dropClient(refresh = true): void {
    const client = this.#client;
    // A dropped client's attempt must not be handed out again for a child that still runs.
    if (this.#clientChild) this.#attempts.delete(this.#clientChild);
    this.#client = undefined;
    this.#clientChild = undefined;
    if (client) void client.close().catch(() => {});
    if (refresh) this.#refreshHealth();
  }

  #refreshHealth(): void {
    this.#setHealth(this.#currentHealth());
  }

  #currentHealth(): SkillHealth {
    if (this.config.disabled) return 'disabled';
    if (this.#misconfigured) return 'misconfigured';
    if (this.#closed) return 'stopped';
    const breaker = this.#breaker.snapshot().state;
    const service = this.#service?.state;
    if (service === 'crash-loop') return 'crash-loop';
    if (breaker === 'open' || breaker === 'isolated') return 'circuit-open';
    if (service === 'backoff' || breaker === 'half-open' || this.#invalidOutput.flooding) return 'degraded';
    if (this.#client?.connected && this.#catalog) return 'ready';
    if (this.#connecting || service === 'starting' || service === 'running') return 'starting';
    return 'stopped';
  }

  #setHealth(to: SkillHealth): void {
    const from = this.#health;
    if (from === to) return;
    this.#health = to;
    this.#events.emit('health-change', { skill: this.name, from, to });
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientError('CLOSED', `Skill ${this.name} is closed`);
  }

  #assertUsable(): void {
    this.#assertOpen();
    if (this.config.disabled)
      throw new ClientError('SKILL_UNAVAILABLE', `Skill ${this.name} is disabled in the configuration`);
    if (this.#misconfigured) throw new ClientError('SKILL_UNAVAILABLE', this.#misconfigured);
  }
}

function exitedWith(code: number | null, signal: NodeJS.Signals | null): string {
  return `the process exited with ${signal ? `signal ${signal}` : `code ${code}`}`;
}

/**
 * `message`, with how the process ended and its telling stderr line. A process that died explains why on
 * stderr, which may still be arriving when the broken connection is noticed: wait (briefly) for its end.
 */
async function explainFailure(
  message: string,
  child: ManagedChild | undefined,
  stderr: StderrTail,
): Promise<string> {
  if (!child) return message;
  let explained = message;
  // Also when its stdout is still open: a process dying of a missing module can fail our first write
  // (EPIPE) before its stdout has ended. A live process costs this wait, a failed start anyway.
  const info = await Promise.race([child.exited, delay(1000, undefined, { ref: false })]);
  if (info) explained += `; ${exitedWith(info.code, info.signal)}`;
  const ended = info !== undefined || child.stdout.readableEnded || child.stdout.destroyed;
  return stderr.describe(explained, ended);
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted)
    return Promise.reject(
      new ClientError('ABORTED', 'Aborted while the skill was starting', { cause: signal.reason }),
    );
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(new ClientError('ABORTED', 'Aborted while the skill was starting', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
