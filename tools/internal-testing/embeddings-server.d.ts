export interface EmbeddingsServer {
  port: number;
  /** The `input` of every request, in order. */
  requests: string[][];
  /** Answers every held request. */
  release(): void;
  close(): Promise<void>;
}
export function startEmbeddingsServer(options: {
  port?: number;
  embed: (input: string[]) => number[][] | { status: number; body: string };
  hold?: (input: string[]) => boolean;
}): Promise<EmbeddingsServer>;
export function closedPort(): Promise<number>;
