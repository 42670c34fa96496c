export function pseudoVocabulary(options: {
  size: number;
  syllables?: number;
  offset?: number;
  suffixes?: string;
}): string[];
export function zipfPicker(vocabulary: readonly string[], random: () => number): () => string;
