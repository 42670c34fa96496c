//! Run-time SIMD dispatch. On x86_64 with AVX2, FMA and POPCNT (checked once with
//! `is_x86_feature_detected!`) the AVX2 kernels run; otherwise the portable ones (`scan::Portable`,
//! auto-vectorised: SSE2 on x86_64, NEON on aarch64). `MIMO_VECTOR_SIMD=portable` forces the portable
//! path, so both can be tested on one machine. [`Dispatched`] is the safe face of this module: the
//! [`Scanner`] that `search` runs on.

use crate::scan::{Metric, Portable, Scanner, Work};
use crate::topk::TopK;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Avx2Fma,
    Portable,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Avx2Fma => "avx2+fma",
            Level::Portable => {
                if cfg!(target_arch = "aarch64") {
                    "portable (neon)"
                } else {
                    "portable"
                }
            }
        }
    }
}

static LEVEL: OnceLock<Level> = OnceLock::new();

/// The SIMD level in use for this process.
pub fn level() -> Level {
    *LEVEL.get_or_init(|| {
        if std::env::var("MIMO_VECTOR_SIMD")
            .map(|v| v == "portable")
            .unwrap_or(false)
        {
            return Level::Portable;
        }
        detect()
    })
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Level {
    if is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("popcnt")
    {
        Level::Avx2Fma
    } else {
        Level::Portable
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Level {
    Level::Portable
}

/// The kernels of this process's SIMD [`level`]: AVX2/FMA when detected, otherwise [`Portable`]. This is
/// the [`Scanner`] the Node-API entry points hand to `search`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dispatched;

impl Scanner for Dispatched {
    fn score(&self, metric: Metric, a: &[f32], b: &[f32]) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if level() == Level::Avx2Fma {
            // SAFETY: `level()` is Avx2Fma only when AVX2, FMA and POPCNT were detected on this CPU.
            return unsafe { x86::score(metric, a, b) };
        }
        Portable.score(metric, a, b)
    }

    fn scan_exact(
        &self,
        metric: Metric,
        query: &[f32],
        matrix: &[f32],
        dims: usize,
        work: Work<'_>,
        min_key: f64,
    ) -> TopK {
        #[cfg(target_arch = "x86_64")]
        if level() == Level::Avx2Fma {
            // SAFETY: `level()` is Avx2Fma only when AVX2, FMA and POPCNT were detected on this CPU.
            return unsafe { x86::scan_exact(metric, query, matrix, dims, work, min_key) };
        }
        Portable.scan_exact(metric, query, matrix, dims, work, min_key)
    }

    fn scan_int8(
        &self,
        query_codes: &[i8],
        codes: &[i8],
        scales: &[f32],
        dims: usize,
        work: Work<'_>,
    ) -> TopK {
        #[cfg(target_arch = "x86_64")]
        if level() == Level::Avx2Fma {
            // SAFETY: `level()` is Avx2Fma only when AVX2, FMA and POPCNT were detected on this CPU.
            return unsafe { x86::scan_int8(query_codes, codes, scales, dims, work) };
        }
        Portable.scan_int8(query_codes, codes, scales, dims, work)
    }

    fn scan_hamming(&self, query_bits: &[u8], bits: &[u8], bytes: usize, work: Work<'_>) -> TopK {
        #[cfg(target_arch = "x86_64")]
        if level() == Level::Avx2Fma {
            // SAFETY: `level()` is Avx2Fma only when AVX2, FMA and POPCNT were detected on this CPU.
            return unsafe { x86::scan_hamming(query_bits, bits, bytes, work) };
        }
        Portable.scan_hamming(query_bits, bits, bytes, work)
    }

    fn read_sum(&self, data: &[f32]) -> f32 {
        #[cfg(target_arch = "x86_64")]
        if level() == Level::Avx2Fma {
            // SAFETY: `level()` is Avx2Fma only when AVX2, FMA and POPCNT were detected on this CPU.
            return unsafe { x86::read_sum(data) };
        }
        Portable.read_sum(data)
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Metric, TopK, Work};
    use crate::kernels;
    use crate::scan::{self, row};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn hsum(v: __m256) -> f32 {
        let sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
        let sum = _mm_add_ss(sum, _mm_shuffle_ps::<0x55>(sum, sum));
        _mm_cvtss_f32(sum)
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut s = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        while i + 32 <= n {
            // SAFETY: i + 32 <= n ≤ both lengths, so each 8-float unaligned load is in bounds.
            unsafe {
                s[0] =
                    _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), s[0]);
                s[1] = _mm256_fmadd_ps(
                    _mm256_loadu_ps(pa.add(i + 8)),
                    _mm256_loadu_ps(pb.add(i + 8)),
                    s[1],
                );
                s[2] = _mm256_fmadd_ps(
                    _mm256_loadu_ps(pa.add(i + 16)),
                    _mm256_loadu_ps(pb.add(i + 16)),
                    s[2],
                );
                s[3] = _mm256_fmadd_ps(
                    _mm256_loadu_ps(pa.add(i + 24)),
                    _mm256_loadu_ps(pb.add(i + 24)),
                    s[3],
                );
            }
            i += 32;
        }
        while i + 8 <= n {
            // SAFETY: i + 8 <= n ≤ both lengths.
            unsafe {
                s[0] = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), s[0])
            };
            i += 8;
        }
        let mut total = hsum(_mm256_add_ps(
            _mm256_add_ps(s[0], s[1]),
            _mm256_add_ps(s[2], s[3]),
        ));
        while i < n {
            total += a[i] * b[i];
            i += 1;
        }
        total
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut s0 = _mm256_setzero_ps();
        let mut s1 = _mm256_setzero_ps();
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: i + 16 <= n ≤ both lengths.
            unsafe {
                let d0 = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
                let d1 = _mm256_sub_ps(
                    _mm256_loadu_ps(pa.add(i + 8)),
                    _mm256_loadu_ps(pb.add(i + 8)),
                );
                s0 = _mm256_fmadd_ps(d0, d0, s0);
                s1 = _mm256_fmadd_ps(d1, d1, s1);
            }
            i += 16;
        }
        let mut total = hsum(_mm256_add_ps(s0, s1));
        while i < n {
            let d = a[i] - b[i];
            total += d * d;
            i += 1;
        }
        total
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn dot_and_norms(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let (mut ab, mut aa, mut bb) = (
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
        );
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: i + 8 <= n ≤ both lengths.
            unsafe {
                let x = _mm256_loadu_ps(pa.add(i));
                let y = _mm256_loadu_ps(pb.add(i));
                ab = _mm256_fmadd_ps(x, y, ab);
                aa = _mm256_fmadd_ps(x, x, aa);
                bb = _mm256_fmadd_ps(y, y, bb);
            }
            i += 8;
        }
        let (mut tab, mut taa, mut tbb) = (hsum(ab), hsum(aa), hsum(bb));
        while i < n {
            tab += a[i] * b[i];
            taa += a[i] * a[i];
            tbb += b[i] * b[i];
            i += 1;
        }
        (tab, taa, tbb)
    }

    /// Exact i32 dot product of int8 codes clamped to [-127, 127]: |a| · (b · sign(a)) with
    /// `maddubs` (u8 × i8 pairs, at most 2·127·127 = 32 258, so no i16 saturation), widened by `madd`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let floor = _mm256_set1_epi8(-127);
        let ones = _mm256_set1_epi16(1);
        let mut acc = _mm256_setzero_si256();
        let mut i = 0;
        while i + 32 <= n {
            // SAFETY: i + 32 <= n ≤ both lengths, so each 32-byte unaligned load is in bounds.
            let (va, vb) = unsafe {
                (
                    _mm256_max_epi8(_mm256_loadu_si256(pa.add(i) as *const __m256i), floor),
                    _mm256_max_epi8(_mm256_loadu_si256(pb.add(i) as *const __m256i), floor),
                )
            };
            let products = _mm256_maddubs_epi16(_mm256_sign_epi8(va, va), _mm256_sign_epi8(vb, va));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(products, ones));
            i += 32;
        }
        let sum128 = _mm_add_epi32(
            _mm256_castsi256_si128(acc),
            _mm256_extracti128_si256::<1>(acc),
        );
        let sum64 = _mm_add_epi32(sum128, _mm_shuffle_epi32::<0b01_00_11_10>(sum128));
        let sum32 = _mm_add_epi32(sum64, _mm_shuffle_epi32::<0b10_11_00_01>(sum64));
        let mut total = _mm_cvtsi128_si32(sum32);
        while i < n {
            total += kernels::clamp_code(a[i]) * kernels::clamp_code(b[i]);
            i += 1;
        }
        total
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub unsafe fn score(metric: Metric, a: &[f32], b: &[f32]) -> f64 {
        match metric {
            Metric::Dot => dot(a, b) as f64,
            Metric::Cosine => {
                let (ab, aa, bb) = dot_and_norms(a, b);
                kernels::cosine_from_parts(ab, aa, bb)
            }
            Metric::L2 => squared_l2(a, b) as f64,
        }
    }

    #[target_feature(enable = "avx2,fma,popcnt")]
    pub unsafe fn scan_exact(
        metric: Metric,
        query: &[f32],
        matrix: &[f32],
        dims: usize,
        work: Work<'_>,
        min_key: f64,
    ) -> TopK {
        match metric {
            Metric::Dot => scan::scan_range(work, min_key, |r| {
                // SAFETY: this function only runs after AVX2/FMA/POPCNT were detected.
                unsafe { dot(query, row(matrix, dims, r)) as f64 }
            }),
            Metric::Cosine => scan::scan_range(work, min_key, |r| {
                // SAFETY: this function only runs after AVX2/FMA/POPCNT were detected.
                let (ab, aa, bb) = unsafe { dot_and_norms(query, row(matrix, dims, r)) };
                kernels::cosine_from_parts(ab, aa, bb)
            }),
            Metric::L2 => scan::scan_range(work, min_key, |r| {
                // SAFETY: this function only runs after AVX2/FMA/POPCNT were detected.
                -(unsafe { squared_l2(query, row(matrix, dims, r)) } as f64)
            }),
        }
    }

    #[target_feature(enable = "avx2,fma,popcnt")]
    pub unsafe fn scan_int8(
        query_codes: &[i8],
        codes: &[i8],
        scales: &[f32],
        dims: usize,
        work: Work<'_>,
    ) -> TopK {
        // SAFETY: this function only runs after AVX2/FMA/POPCNT were detected.
        scan::scan_range(work, f64::NEG_INFINITY, |r| unsafe {
            scales[r] as f64 * dot_i8(query_codes, &codes[r * dims..(r + 1) * dims]) as f64
        })
    }

    #[target_feature(enable = "avx2,fma,popcnt")]
    pub unsafe fn scan_hamming(
        query_bits: &[u8],
        bits: &[u8],
        bytes: usize,
        work: Work<'_>,
    ) -> TopK {
        // `scan_hamming_body` is #[inline(always)], so its `count_ones` compiles to POPCNT here.
        scan::scan_hamming_body(query_bits, bits, bytes, work)
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn read_sum(data: &[f32]) -> f32 {
        let n = data.len();
        let p = data.as_ptr();
        let mut s = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        while i + 32 <= n {
            // SAFETY: i + 32 <= n, so each 8-float load is in bounds.
            unsafe {
                s[0] = _mm256_add_ps(s[0], _mm256_loadu_ps(p.add(i)));
                s[1] = _mm256_add_ps(s[1], _mm256_loadu_ps(p.add(i + 8)));
                s[2] = _mm256_add_ps(s[2], _mm256_loadu_ps(p.add(i + 16)));
                s[3] = _mm256_add_ps(s[3], _mm256_loadu_ps(p.add(i + 24)));
            }
            i += 32;
        }
        let mut total = hsum(_mm256_add_ps(
            _mm256_add_ps(s[0], s[1]),
            _mm256_add_ps(s[2], s[3]),
        ));
        while i < n {
            total += data[i];
            i += 1;
        }
        total
    }

    #[cfg(test)]
    pub mod testing {
        /// The AVX2 kernels, callable from tests when the CPU has them.
        pub fn available() -> bool {
            is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
                && is_x86_feature_detected!("popcnt")
        }
        pub fn dot(a: &[f32], b: &[f32]) -> f32 {
            assert!(available());
            // SAFETY: guarded by the feature check above.
            unsafe { super::dot(a, b) }
        }
        pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
            assert!(available());
            // SAFETY: guarded by the feature check above.
            unsafe { super::dot_i8(a, b) }
        }
        pub fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
            assert!(available());
            // SAFETY: guarded by the feature check above.
            unsafe { super::squared_l2(a, b) }
        }
        pub fn dot_and_norms(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
            assert!(available());
            // SAFETY: guarded by the feature check above.
            unsafe { super::dot_and_norms(a, b) }
        }
    }
}

/// The search suite of `search`, run on the dispatched kernels (the AVX2 ones when the CPU has them), which
/// are what the addon uses.
#[cfg(test)]
mod search_suite {
    use super::Dispatched;
    use crate::search::suite;

    #[test]
    fn exact_top_k_matches_brute_force_for_every_metric_and_thread_count() {
        suite::exact_top_k_matches_brute_force_for_every_metric_and_thread_count(&Dispatched);
    }

    #[test]
    fn allow_list_and_mask_restrict_the_scan() {
        suite::allow_list_and_mask_restrict_the_scan(&Dispatched);
    }

    #[test]
    fn min_score_filters_results() {
        suite::min_score_filters_results(&Dispatched);
    }

    #[test]
    fn quantized_searches_find_the_exact_neighbours_on_clustered_data() {
        suite::quantized_searches_find_the_exact_neighbours_on_clustered_data(&Dispatched);
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::x86::testing;
    use crate::kernels;

    fn sample(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                (((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 16) % 2000) as f32
                    / 1000.0
                    - 1.0
            })
            .collect()
    }

    #[test]
    fn avx2_kernels_match_portable_ones() {
        if !testing::available() {
            return;
        }
        for n in [0usize, 1, 7, 8, 9, 31, 32, 33, 100, 384, 768, 1000] {
            let (a, b) = (sample(n, 1), sample(n, 2));
            let tolerance = |x: f32| 1e-4 * x.abs().max(1.0);
            let (d1, d2) = (testing::dot(&a, &b), kernels::dot(&a, &b));
            assert!((d1 - d2).abs() <= tolerance(d2), "dot n={n}: {d1} vs {d2}");
            let (l1, l2) = (testing::squared_l2(&a, &b), kernels::squared_l2(&a, &b));
            assert!((l1 - l2).abs() <= tolerance(l2), "l2 n={n}");
            let (p1, p2) = (
                testing::dot_and_norms(&a, &b),
                kernels::dot_and_norms(&a, &b),
            );
            assert!(
                (p1.0 - p2.0).abs() <= tolerance(p2.0) && (p1.1 - p2.1).abs() <= tolerance(p2.1)
            );
            let ca: Vec<i8> = (0..n).map(|i| ((i * 37 + 11) % 256) as u8 as i8).collect();
            let cb: Vec<i8> = (0..n).map(|i| ((i * 91 + 5) % 256) as u8 as i8).collect();
            assert_eq!(
                testing::dot_i8(&ca, &cb),
                kernels::dot_i8(&ca, &cb),
                "int8 n={n}"
            );
        }
    }

    #[test]
    fn avx2_int8_handles_extremes_without_saturation() {
        if !testing::available() {
            return;
        }
        let a = vec![-128i8; 64];
        let b = vec![-128i8; 64];
        assert_eq!(testing::dot_i8(&a, &b), 64 * 127 * 127);
        let c = vec![127i8; 64];
        assert_eq!(testing::dot_i8(&a, &c), -64 * 127 * 127);
    }
}
