//! Portable, safe kernels. Several independent accumulators break the dependency chain so LLVM can
//! vectorise them (SSE2 on x86_64, NEON on aarch64, where it is baseline). `ffi::simd` provides AVX2/FMA
//! versions of the same functions and picks one at run time.

/// Lanes per accumulator block; 16 floats = two 256-bit registers' worth of independent sums.
const LANES: usize = 16;

/// Dot product of two equal-length slices (the caller checks lengths).
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let mut chunks_a = a.chunks_exact(LANES);
    let mut chunks_b = b.chunks_exact(LANES);
    for (x, y) in (&mut chunks_a).zip(&mut chunks_b) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0f32;
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        tail += x * y;
    }
    reduce(&acc) + tail
}

/// Squared Euclidean distance.
#[inline(always)]
pub fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let mut chunks_a = a.chunks_exact(LANES);
    let mut chunks_b = b.chunks_exact(LANES);
    for (x, y) in (&mut chunks_a).zip(&mut chunks_b) {
        for i in 0..LANES {
            let d = x[i] - y[i];
            acc[i] += d * d;
        }
    }
    let mut tail = 0f32;
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        let d = x - y;
        tail += d * d;
    }
    reduce(&acc) + tail
}

/// `(a·b, a·a, b·b)` in one pass, for cosine similarity.
#[inline(always)]
pub fn dot_and_norms(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut ab = [0f32; 8];
    let mut aa = [0f32; 8];
    let mut bb = [0f32; 8];
    let mut chunks_a = a.chunks_exact(8);
    let mut chunks_b = b.chunks_exact(8);
    for (x, y) in (&mut chunks_a).zip(&mut chunks_b) {
        for i in 0..8 {
            ab[i] += x[i] * y[i];
            aa[i] += x[i] * x[i];
            bb[i] += y[i] * y[i];
        }
    }
    let (mut tab, mut taa, mut tbb) = (0f32, 0f32, 0f32);
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        tab += x * y;
        taa += x * x;
        tbb += y * y;
    }
    (reduce(&ab) + tab, reduce(&aa) + taa, reduce(&bb) + tbb)
}

/// Cosine similarity from a dot product and squared norms; 0 when either vector is zero.
#[inline(always)]
pub fn cosine_from_parts(ab: f32, aa: f32, bb: f32) -> f64 {
    let denominator = (aa as f64).sqrt() * (bb as f64).sqrt();
    if denominator == 0.0 {
        0.0
    } else {
        ab as f64 / denominator
    }
}

/// Clamps an int8 code to the symmetric range [-127, 127]. The quantiser never produces -128; clamping
/// here keeps every kernel (portable or SIMD) exact and identical for any input.
#[inline(always)]
pub fn clamp_code(value: i8) -> i32 {
    (value as i32).max(-127)
}

/// Dot product of int8 codes (each clamped to [-127, 127]) in exact i32 arithmetic.
#[inline(always)]
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0i32; LANES];
    let mut chunks_a = a.chunks_exact(LANES);
    let mut chunks_b = b.chunks_exact(LANES);
    for (x, y) in (&mut chunks_a).zip(&mut chunks_b) {
        for i in 0..LANES {
            acc[i] += clamp_code(x[i]) * clamp_code(y[i]);
        }
    }
    let mut total: i32 = acc.iter().sum();
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        total += clamp_code(*x) * clamp_code(*y);
    }
    total
}

/// Hamming distance between two bit strings of equal length (bytes).
#[inline(always)]
pub fn hamming(a: &[u8], b: &[u8]) -> u32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut total = 0u32;
    let mut chunks_a = a.chunks_exact(8);
    let mut chunks_b = b.chunks_exact(8);
    for (x, y) in (&mut chunks_a).zip(&mut chunks_b) {
        let wx = u64::from_le_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]);
        let wy = u64::from_le_bytes([y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]]);
        total += (wx ^ wy).count_ones();
    }
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        total += (x ^ y).count_ones();
    }
    total
}

/// Reads every element once and returns a checksum: the memory-bandwidth yardstick for benchmarks.
#[inline(always)]
pub fn read_sum(data: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let mut chunks = data.chunks_exact(LANES);
    for x in &mut chunks {
        for i in 0..LANES {
            acc[i] += x[i];
        }
    }
    reduce(&acc) + chunks.remainder().iter().sum::<f32>()
}

#[inline(always)]
fn reduce<const N: usize>(acc: &[f32; N]) -> f32 {
    // Pairwise, so the result does not depend on one long serial chain.
    let mut width = N;
    let mut values = *acc;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            values[i] += values[i + width];
        }
    }
    values[0]
}

/// Scales `v` to unit length and returns its original norm. A sequential f64 sum, not the SIMD kernel:
/// normalisation is not a search hot path, and this makes stored vectors bit-identical to the JS fallback's.
pub fn normalize_in_place(v: &mut [f32]) -> f64 {
    let norm = v.iter().map(|x| *x as f64 * *x as f64).sum::<f64>().sqrt();
    if norm > 0.0 {
        let inverse = (1.0 / norm) as f32;
        v.iter_mut().for_each(|x| *x *= inverse);
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
    }

    #[test]
    fn dot_matches_naive_for_many_lengths() {
        for n in [0usize, 1, 7, 8, 15, 16, 17, 100, 384, 768, 1001] {
            let a: Vec<f32> = (0..n).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
            let b: Vec<f32> = (0..n).map(|i| ((i * 5) % 11) as f32 * 0.25).collect();
            let expected = naive_dot(&a, &b);
            assert!(
                (dot(&a, &b) as f64 - expected).abs() <= 1e-4 * expected.abs().max(1.0),
                "n={n}"
            );
        }
    }

    #[test]
    fn squared_l2_and_norms_are_consistent() {
        let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let b = [9.0f32, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
        let (ab, aa, bb) = dot_and_norms(&a, &b);
        assert_eq!(ab, dot(&a, &b));
        assert_eq!(squared_l2(&a, &b), aa + bb - 2.0 * ab);
        assert_eq!(squared_l2(&a, &a), 0.0);
    }

    #[test]
    fn cosine_of_identical_orthogonal_opposite_and_zero() {
        let a = [1.0f32, 0.0, 0.0];
        let (ab, aa, bb) = dot_and_norms(&a, &a);
        assert!((cosine_from_parts(ab, aa, bb) - 1.0).abs() < 1e-12);
        let (ab, aa, bb) = dot_and_norms(&a, &[0.0, 1.0, 0.0]);
        assert_eq!(cosine_from_parts(ab, aa, bb), 0.0);
        let (ab, aa, bb) = dot_and_norms(&a, &[-2.0, 0.0, 0.0]);
        assert!((cosine_from_parts(ab, aa, bb) + 1.0).abs() < 1e-12);
        let (ab, aa, bb) = dot_and_norms(&a, &[0.0, 0.0, 0.0]);
        assert_eq!(cosine_from_parts(ab, aa, bb), 0.0);
    }

    #[test]
    fn int8_dot_is_exact_and_clamps_minus_128() {
        let a: Vec<i8> = (0..100).map(|i| (i * 37 % 255 - 127) as i8).collect();
        let b: Vec<i8> = (0..100).map(|i| (i * 91 % 255 - 127) as i8).collect();
        let expected: i32 = a.iter().zip(&b).map(|(x, y)| *x as i32 * *y as i32).sum();
        assert_eq!(dot_i8(&a, &b), expected);
        assert_eq!(dot_i8(&[-128], &[1]), -127);
    }

    #[test]
    fn hamming_counts_differing_bits() {
        let a = [0b1010_1010u8; 12];
        let b = [0b0101_0101u8; 12];
        assert_eq!(hamming(&a, &b), 96);
        assert_eq!(hamming(&a, &a), 0);
        assert_eq!(hamming(&[0xff, 0x0f, 0x01], &[0x00, 0x00, 0x00]), 13);
    }

    #[test]
    fn read_sum_adds_everything() {
        let data: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        assert_eq!(read_sum(&data), 499_500.0);
    }

    #[test]
    fn normalize_in_place_returns_the_norm_and_leaves_a_zero_vector_alone() {
        let mut v = [3.0f32, 4.0];
        assert_eq!(normalize_in_place(&mut v), 5.0);
        assert_eq!(v, [0.6, 0.8]);
        let mut zero = [0.0f32; 3];
        assert_eq!(normalize_in_place(&mut zero), 0.0);
        assert_eq!(zero, [0.0; 3]);
    }
}
