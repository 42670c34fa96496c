import type { ServerResponse } from 'node:http';
import { MimoErrorCode } from '../errors.js';
import type { RequestId } from '../jsonrpc/messages.js';
import type { McpSession } from '../server/mcp-server.js';
import { HttpRejection, HttpTransportErrorCode } from './http-rejection.js';

/** One legacy (2025-11-25 and older) session: opened by `initialize`, named by `Mcp-Session-Id`. */
export interface LegacySession {
  id: string;
  session: McpSession;
  lastSeen: number;
  stream: ServerResponse | undefined;
  /** Who holds `stream` (a gate's client key), to bound streams per client. */
  streamClient: string | undefined;
  active: number;
}

export type LegacySessionCloseReason = 'deleted' | 'idle' | 'evicted' | 'closed';

export interface LegacySessionsOptions {
  maxSessions: number;
  idleMs: number;
  maxStreamsPerClient: number;
  onClosed: (entry: LegacySession, reason: LegacySessionCloseReason) => void;
}

/**
 * The table of legacy sessions: bounded in number (least recently used idle ones evicted first), ended
 * when idle, and holding at most one GET stream each and `maxStreamsPerClient` streams per client.
 */
export class LegacySessions {
  readonly #options: LegacySessionsOptions;
  readonly #sessions = new Map<string, LegacySession>();
  /** Open GET streams per client key. */
  readonly #streamsByClient = new Map<string, number>();
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(options: LegacySessionsOptions) {
    this.#options = options;
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(60_000, options.idleMs));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Makes room for a new session, or throws 503 when every session is busy. */
  reserve(requestId: RequestId): void {
    if (this.#sessions.size >= this.#options.maxSessions) this.#evictIdle();
    if (this.#sessions.size >= this.#options.maxSessions) {
      throw new HttpRejection(
        503,
        MimoErrorCode.SERVER_BUSY,
        `Too many sessions (limit ${this.#options.maxSessions}); retry later`,
        requestId,
        { 'Retry-After': '5' },
      );
    }
  }

  add(entry: LegacySession): void {
    this.#sessions.set(entry.id, entry);
  }

  /** The session a request names (400 without an id, 404 for an unknown one); marks it as seen. */
  lookup(id: string | undefined): LegacySession {
    if (id === undefined) {
      throw new HttpRejection(
        400,
        HttpTransportErrorCode.BAD_REQUEST,
        'Bad Request: Mcp-Session-Id header is required (send initialize first)',
      );
    }
    const entry = this.#sessions.get(id);
    if (!entry) {
      throw new HttpRejection(
        404,
        HttpTransportErrorCode.SESSION_NOT_FOUND,
        'Session not found: it ended or never existed; initialize again',
      );
    }
    entry.lastSeen = performance.now();
    return entry;
  }

  /**
   * Makes `response` the session's GET stream, held by `client`: 409 when the session already has one,
   * 429 when the client holds `maxStreamsPerClient`. The stream is released when the response closes.
   */
  attachStream(entry: LegacySession, client: string, response: ServerResponse): void {
    if (entry.stream && !entry.stream.writableEnded) {
      throw new HttpRejection(
        409,
        HttpTransportErrorCode.BAD_REQUEST,
        'Conflict: this session already has an open GET stream',
      );
    }
    const limit = this.#options.maxStreamsPerClient;
    const held = this.#streamsByClient.get(client) ?? 0;
    if (held >= limit) {
      throw new HttpRejection(
        429,
        MimoErrorCode.RATE_LIMITED,
        `Too many open streams: this client holds ${held} (limit ${limit}); close one first`,
        null,
        { 'Retry-After': '5' },
        { limit },
      );
    }
    this.#streamsByClient.set(client, held + 1);
    entry.stream = response;
    entry.streamClient = client;
    response.on('close', () => {
      if (entry.stream === response) {
        entry.stream = undefined;
        entry.streamClient = undefined;
      }
      const left = (this.#streamsByClient.get(client) ?? 1) - 1;
      if (left > 0) this.#streamsByClient.set(client, left);
      else this.#streamsByClient.delete(client);
      entry.lastSeen = performance.now();
    });
  }

  async end(entry: LegacySession, reason: LegacySessionCloseReason): Promise<void> {
    if (!this.#sessions.delete(entry.id)) return;
    entry.stream?.end();
    await entry.session.close();
    this.#options.onClosed(entry, reason);
  }

  /** Stops the idle sweep and ends every session. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#sessions.values()].map((entry) => this.end(entry, 'closed')));
  }

  #sweep(): void {
    const now = performance.now();
    for (const entry of this.#sessions.values()) {
      if (entry.active === 0 && !entry.stream && now - entry.lastSeen > this.#options.idleMs)
        void this.end(entry, 'idle');
    }
  }

  /**
   * Makes room for one session: ends the least recently used one with nothing in flight, preferring one
   * without a GET stream. Streams count as use only when they were opened or a request came: a client that
   * opens streams and goes quiet must not lock everyone else out (1,000 such sessions did).
   */
  #evictIdle(): void {
    let oldest: LegacySession | undefined;
    let oldestStreaming: LegacySession | undefined;
    for (const entry of this.#sessions.values()) {
      if (entry.active > 0) continue;
      if (!entry.stream) {
        if (!oldest || entry.lastSeen < oldest.lastSeen) oldest = entry;
      } else if (!oldestStreaming || entry.lastSeen < oldestStreaming.lastSeen) oldestStreaming = entry;
    }
    const victim = oldest ?? oldestStreaming;
    if (victim) void this.end(victim, 'evicted');
  }
}
