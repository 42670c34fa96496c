/** Deterministic test data: a seeded PRNG, Gaussian noise, and clustered unit vectors. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function randomVectors(rows: number, dims: number, seed: number): Float32Array {
  const random = rng(seed);
  const data = new Float32Array(rows * dims);
  for (let i = 0; i < data.length; i++) data[i] = random() * 2 - 1;
  return data;
}

/**
 * Clustered unit vectors: `clusters` Gaussian centres, each point a centre plus noise of `spread`, then
 * normalised. Random uniform vectors have no neighbours worth finding; these do.
 */
export function clusteredVectors(
  rows: number,
  dims: number,
  clusters: number,
  seed: number,
  spread = 0.35,
): Float32Array {
  const normal = gaussian(rng(seed));
  const centers = new Float32Array(clusters * dims);
  for (let i = 0; i < centers.length; i++) centers[i] = normal();
  const data = new Float32Array(rows * dims);
  for (let row = 0; row < rows; row++) {
    const center = (row * 7919) % clusters;
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const value = (centers[center * dims + d] as number) + spread * normal();
      data[row * dims + d] = value;
      norm += value * value;
    }
    const inverse = 1 / Math.sqrt(norm);
    for (let d = 0; d < dims; d++) data[row * dims + d] = (data[row * dims + d] as number) * inverse;
  }
  return data;
}

/** Reference (f64) scores and top-k, sorted by score desc then index asc. */
export function referenceTopK(
  query: Float32Array,
  matrix: Float32Array,
  dims: number,
  k: number,
  metric: 'dot' | 'cosine' | 'l2' = 'dot',
): { indices: number[]; scores: number[] } {
  const rows = matrix.length / dims;
  const scored: Array<[number, number]> = [];
  for (let row = 0; row < rows; row++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    let l2 = 0;
    for (let d = 0; d < dims; d++) {
      const x = query[d] as number;
      const y = matrix[row * dims + d] as number;
      ab += x * y;
      aa += x * x;
      bb += y * y;
      l2 += (x - y) * (x - y);
    }
    const score = metric === 'dot' ? ab : metric === 'cosine' ? (aa && bb ? ab / Math.sqrt(aa * bb) : 0) : l2;
    scored.push([row, score]);
  }
  scored.sort((a, b) => (metric === 'l2' ? a[1] - b[1] : b[1] - a[1]) || a[0] - b[0]);
  const top = scored.slice(0, k);
  return { indices: top.map((entry) => entry[0]), scores: top.map((entry) => entry[1]) };
}

export function recallAt(found: ArrayLike<number>, truth: ArrayLike<number>): number {
  const expected = new Set(Array.from(truth));
  let hits = 0;
  for (const index of Array.from(found)) if (expected.has(index)) hits++;
  return hits / expected.size;
}
