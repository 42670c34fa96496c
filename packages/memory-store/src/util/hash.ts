import { hash } from 'node:crypto';

/** Printable ASCII words separated by single spaces: text the normalisation below leaves as it is. */
const ALREADY_NORMAL = /^[!-~]+(?: [!-~]+)*$/;

/**
 * The dedup key of a memory's content: SHA-256 of the NFC-normalised text with surrounding whitespace
 * trimmed and internal whitespace runs collapsed, so the same words typed twice are an exact duplicate.
 * Most text is already in that form, and is hashed without the normalising copies.
 */
export function contentHash(content: string): string {
  const normalized = ALREADY_NORMAL.test(content)
    ? content
    : content.normalize('NFC').trim().replace(/\s+/g, ' ');
  return hash('sha256', normalized, 'hex');
}
