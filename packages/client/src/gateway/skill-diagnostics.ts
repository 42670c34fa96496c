/**
 * What a skill tells us about its own failures: the tail of its stderr (a mistyped package or a missing
 * script is explained there, not in the broken handshake), and the lines it writes to stdout that are not
 * protocol messages.
 */

/** Lines of stderr kept per skill process (the headline of a Node error sits above ~10 stack frames). */
const KEPT_LINES = 40;
/** Lines shown in a skill's status. */
const SHOWN_LINES = 10;
/** Longest stderr line kept (longer ones are cut). */
const MAX_LINE_CHARS = 300;

/** A JavaScript or Python error headline: `Error: …`, `TypeError [ERR_X]: …`, `ModuleNotFoundError: …`. */
const HEADLINE = /^(?:Uncaught )?[A-Za-z]*(?:Error|Exception)(?: \[[A-Z_]+\])?: \S/;
const TELLING =
  /\b(?:error|err_[a-z_]+|exception|cannot|can't|could not|not found|no such|denied|failed|fatal|invalid|missing|enoent|eacces|unauthorized|forbidden)\b/i;
/** Stack frames, the `code: '…'` block of a Node error, and Node's version footer tell nothing new. */
const NOISE = /^\s*(?:at\s|\^+$|\{|\}|code:|requireStack:|url:|Node\.js v\d)/;

/** The last lines of one skill process's stderr, bounded in count and width. */
export class StderrTail {
  #lines: string[] = [];

  push(line: string): void {
    const trimmed = line.trimEnd();
    if (trimmed.length === 0) return;
    this.#lines.push(trimmed.length > MAX_LINE_CHARS ? `${trimmed.slice(0, MAX_LINE_CHARS - 1)}…` : trimmed);
    if (this.#lines.length > KEPT_LINES) this.#lines.splice(0, this.#lines.length - KEPT_LINES);
  }

  clear(): void {
    this.#lines = [];
  }

  /** The last few lines, for a status report. */
  shown(): string[] {
    return this.#lines.slice(-SHOWN_LINES);
  }

  /**
   * The line that best says what went wrong: the last error headline, else the last line with a telling
   * word, else (for a process that ended: its last words) the last line that is not a stack frame.
   */
  tellingLine(ended: boolean): string | undefined {
    const lines = this.#lines.map((line) => line.trim()).filter((line) => !NOISE.test(line));
    return (
      lines.findLast((line) => HEADLINE.test(line)) ??
      lines.findLast((line) => TELLING.test(line)) ??
      (ended ? lines.at(-1) : undefined)
    );
  }

  /** A fix for a failure we recognise, if any. */
  hint(): string | undefined {
    const text = this.#lines.join('\n');
    if (text.includes('ERR_MODULE_NOT_FOUND') && /[\\/]_npx[\\/]/.test(text)) {
      return 'the npx cache looks broken (a package under ~/.npm/_npx is missing a module): delete it with `rm -rf ~/.npm/_npx` (or run `npx clear-npx-cache`), then restart the skill';
    }
    return undefined;
  }

  /** `message`, with the telling stderr line and a hint appended when there are any. */
  describe(message: string, ended: boolean): string {
    const line = this.tellingLine(ended);
    const hint = this.hint();
    return `${message}${line ? `; stderr: ${line}` : ''}${hint ? `; ${hint}` : ''}`;
  }
}

/** Bad lines within one window that make a skill count as flooding its stdout with garbage. */
const FLOOD_THRESHOLD = 100;
/** The window of the flood threshold, and the shortest interval between two reports. */
const WINDOW_MS = 10_000;

/**
 * Counts the lines a skill writes to stdout that are not JSON-RPC messages. They are never answered (a
 * skill that logs one line per message would loop with us); they are reported at most once per window
 * (the first at once, then the count of the rest), and more than {@link FLOOD_THRESHOLD} within a window
 * marks the skill as flooding until a window passes without.
 */
export class InvalidOutputMeter {
  /** Bad lines since the skill was created. */
  total = 0;
  readonly #report: (count: number, sample: string) => void;
  readonly #floodChange: () => void;
  #pending = 0;
  #sample = '';
  #reportTimer: NodeJS.Timeout | undefined;
  #windowStart = 0;
  #windowCount = 0;
  #floodingUntil = 0;
  #floodTimer: NodeJS.Timeout | undefined;

  constructor(report: (count: number, sample: string) => void, floodChange: () => void) {
    this.#report = report;
    this.#floodChange = floodChange;
  }

  get flooding(): boolean {
    return Date.now() < this.#floodingUntil;
  }

  record(reason: string): void {
    const now = Date.now();
    this.total++;
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now;
      this.#windowCount = 0;
    }
    this.#windowCount++;
    if (this.#windowCount > FLOOD_THRESHOLD) {
      const wasFlooding = this.flooding;
      this.#floodingUntil = now + WINDOW_MS;
      if (!wasFlooding) {
        this.#armFloodTimer();
        this.#floodChange();
      }
    }
    const sample = reason.length > 200 ? `${reason.slice(0, 199)}…` : reason;
    if (this.#reportTimer) {
      this.#pending++;
      this.#sample = sample;
      return;
    }
    this.#report(1, sample);
    this.#armReportTimer();
  }

  close(): void {
    clearTimeout(this.#reportTimer);
    clearTimeout(this.#floodTimer);
    this.#reportTimer = undefined;
    this.#floodTimer = undefined;
  }

  #armReportTimer(): void {
    this.#reportTimer = setTimeout(() => {
      this.#reportTimer = undefined;
      if (this.#pending === 0) return;
      const count = this.#pending;
      this.#pending = 0;
      this.#report(count, this.#sample);
      this.#armReportTimer();
    }, WINDOW_MS);
    this.#reportTimer.unref();
  }

  #armFloodTimer(): void {
    this.#floodTimer = setTimeout(
      () => {
        this.#floodTimer = undefined;
        // Extended by later lines: look again when the new end comes.
        if (this.flooding) this.#armFloodTimer();
        else this.#floodChange();
      },
      Math.max(1, this.#floodingUntil - Date.now()),
    );
    this.#floodTimer.unref();
  }
}
