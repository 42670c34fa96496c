import { normalize } from './data.mjs';
/** Concatenation of L2-normalised parts, part i scaled by weights[i]. */
export function concat(parts, weights) {
  const n = parts[0].length;
  return Array.from({ length: n }, (_, i) => {
    const vs = parts.map((p) => normalize(p[i]));
    const out = new Float32Array(vs.reduce((s, v) => s + v.length, 0));
    let o = 0;
    vs.forEach((v, k) => { for (let d = 0; d < v.length; d++) out[o + d] = v[d] * weights[k]; o += v.length; });
    return out;
  });
}
