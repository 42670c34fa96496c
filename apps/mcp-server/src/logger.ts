import { type Logger, pino } from 'pino';

/**
 * Logs go to stderr only (file descriptor 2), as JSON lines: stdout carries nothing but MCP messages.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { name: 'mimo' } }, pino.destination({ fd: 2, sync: true }));
}
