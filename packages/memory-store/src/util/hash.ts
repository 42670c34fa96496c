import { hash } from 'node:crypto';

/**
 * The dedup key of a memory's content: SHA-256 of the NFC-normalised text with surrounding whitespace
 * trimmed and internal whitespace runs collapsed, so the same words typed twice are an exact duplicate.
 */
export function contentHash(content: string): string {
  const normalized = content.normalize('NFC').trim().replace(/\s+/g, ' ');
  return hash('sha256', normalized, 'hex');
}
