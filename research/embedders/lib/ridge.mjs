// Ridge regression Y ≈ X W (closed form, Cholesky), Float64 throughout.
export function ridge(X, Y, lambda) {
  const n = X.length, p = X[0].length, q = Y[0].length;
  const A = new Float64Array(p * p), B = new Float64Array(p * q);
  for (let i = 0; i < n; i++) {
    const x = X[i], y = Y[i];
    for (let a = 0; a < p; a++) {
      const xa = x[a];
      if (xa === 0) continue;
      const ra = a * p;
      for (let b = a; b < p; b++) A[ra + b] += xa * x[b];
      const rb = a * q;
      for (let c = 0; c < q; c++) B[rb + c] += xa * y[c];
    }
  }
  for (let a = 0; a < p; a++) { for (let b = 0; b < a; b++) A[a * p + b] = A[b * p + a]; A[a * p + a] += lambda * n; }
  // Cholesky A = L L^T
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j <= i; j++) {
    let s = A[i * p + j];
    for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
    L[i * p + j] = i === j ? Math.sqrt(s) : s / L[j * p + j];
  }
  const W = new Float64Array(p * q);
  const z = new Float64Array(p);
  for (let c = 0; c < q; c++) {
    for (let i = 0; i < p; i++) { let s = B[i * q + c]; for (let k = 0; k < i; k++) s -= L[i * p + k] * z[k]; z[i] = s / L[i * p + i]; }
    for (let i = p - 1; i >= 0; i--) { let s = z[i]; for (let k = i + 1; k < p; k++) s -= L[k * p + i] * W[k * q + c]; W[i * q + c] = s / L[i * p + i]; }
  }
  return { p, q, W, apply(x) { const out = new Float32Array(q); for (let a = 0; a < p; a++) { const xa = x[a]; if (xa === 0) continue; const r = a * q; for (let c = 0; c < q; c++) out[c] += xa * W[r + c]; } return out; } };
}
