/** The last `capacity` bytes written, for a child's stderr: memory stays bounded however much it writes. */
export class ByteRing {
  readonly capacity: number;
  #buffer: Buffer;
  #start = 0;
  #length = 0;
  /** Every byte ever pushed, including those that fell out. */
  totalBytes = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#buffer = Buffer.alloc(capacity);
  }

  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    if (this.capacity === 0) return;
    let data = chunk;
    if (data.length >= this.capacity) {
      data = data.subarray(data.length - this.capacity);
      data.copy(this.#buffer, 0);
      this.#start = 0;
      this.#length = this.capacity;
      return;
    }
    const end = (this.#start + this.#length) % this.capacity;
    const first = Math.min(data.length, this.capacity - end);
    data.copy(this.#buffer, end, 0, first);
    data.copy(this.#buffer, 0, first);
    const overflow = Math.max(0, this.#length + data.length - this.capacity);
    this.#length = Math.min(this.capacity, this.#length + data.length);
    this.#start = (this.#start + overflow) % this.capacity;
  }

  /** The kept bytes, oldest first. */
  bytes(): Buffer {
    const end = this.#start + this.#length;
    if (end <= this.capacity) return Buffer.from(this.#buffer.subarray(this.#start, end));
    return Buffer.concat([this.#buffer.subarray(this.#start), this.#buffer.subarray(0, end - this.capacity)]);
  }

  /** The kept bytes as UTF-8 (a character cut at the start shows as U+FFFD). */
  toString(): string {
    return this.bytes().toString('utf8');
  }
}

/**
 * Splits a byte stream into lines of at most `maxLineBytes` (longer lines are cut and flagged), so a child
 * printing one endless line cannot grow memory.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #onLine: (line: string, truncated: boolean) => void;
  #parts: Buffer[] = [];
  #size = 0;
  #truncated = false;

  constructor(maxLineBytes: number, onLine: (line: string, truncated: boolean) => void) {
    this.#maxLineBytes = maxLineBytes;
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      this.#append(chunk.subarray(start, end));
      if (newline === -1) return;
      this.#emit();
      start = newline + 1;
    }
  }

  /** Emits a pending partial line (at end of stream). */
  flush(): void {
    if (this.#size > 0 || this.#truncated) this.#emit();
  }

  #append(part: Buffer): void {
    const room = this.#maxLineBytes - this.#size;
    if (part.length > room) this.#truncated = true;
    const kept = part.length > room ? part.subarray(0, Math.max(0, room)) : part;
    if (kept.length > 0) {
      this.#parts.push(Buffer.from(kept));
      this.#size += kept.length;
    }
  }

  #emit(): void {
    let line = Buffer.concat(this.#parts, this.#size).toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const truncated = this.#truncated;
    this.#parts = [];
    this.#size = 0;
    this.#truncated = false;
    this.#onLine(line, truncated);
  }
}
