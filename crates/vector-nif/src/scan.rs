//! What one scan of rows is, shared by the SIMD kernels (`ffi::simd`) and the search driver (`search`),
//! so neither depends on the other: the metric, the row selection, and the generic row loops that each
//! kernel variant inlines its row score into. Safe code.

use crate::kernels;
use crate::topk::TopK;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Dot,
    Cosine,
    /// Squared Euclidean distance; ranked ascending (internally the key is `-distance`).
    L2,
}

impl Metric {
    pub fn from_code(code: u32) -> Option<Metric> {
        match code {
            0 => Some(Metric::Dot),
            1 => Some(Metric::Cosine),
            2 => Some(Metric::L2),
            _ => None,
        }
    }
}

/// Which rows take part in a scan.
#[derive(Clone, Copy, Debug)]
pub enum Selection<'a> {
    All,
    /// Only these row indices (each < rows; checked by the caller).
    Allow(&'a [u32]),
    /// Row i takes part when bit i (LSB first) of the mask is set (mask covers every row).
    Mask(&'a [u8]),
}

impl Selection<'_> {
    /// Number of work items: rows for `All`/`Mask`, list entries for `Allow`.
    pub fn len(&self, rows: usize) -> usize {
        match self {
            Selection::Allow(list) => list.len(),
            _ => rows,
        }
    }
}

/// One worker's share of a scan: work items `start..end` of `selection`, keeping the `k` best.
#[derive(Clone, Copy, Debug)]
pub struct Work<'a> {
    pub selection: &'a Selection<'a>,
    pub start: usize,
    pub end: usize,
    pub k: usize,
}

/// Scans work items `start..end` of `selection`, keeping the `k` best keys (`key(row)`, higher is better).
/// Rows whose key is below `min_key` are skipped. Inlined into each SIMD variant so the closure's kernel
/// is compiled with that variant's target features.
#[inline(always)]
pub fn scan_range<F: FnMut(usize) -> f64>(work: Work<'_>, min_key: f64, mut key: F) -> TopK {
    let Work {
        selection,
        start,
        end,
        k,
    } = work;
    let mut top = TopK::new(k);
    let mut visit = |row: usize, top: &mut TopK| {
        let value = key(row);
        if value >= min_key {
            top.push(row as u32, value);
        }
    };
    match selection {
        Selection::All => {
            for row in start..end {
                visit(row, &mut top);
            }
        }
        Selection::Allow(list) => {
            for &row in &list[start..end] {
                visit(row as usize, &mut top);
            }
        }
        Selection::Mask(mask) => {
            for row in start..end {
                if mask[row / 8] & (1 << (row % 8)) != 0 {
                    visit(row, &mut top);
                }
            }
        }
    }
    top
}

/// Hamming scan specialised for speed: the query's 64-bit words are loaded once, rows are walked with
/// `chunks_exact` (no per-row bounds checks), and a row only reaches the heap if its distance beats the
/// current worst kept one. For `All` and `Mask` selections rows arrive in ascending order, so a row tying
/// the worst can never enter (the tie-break prefers lower indices) and a plain integer comparison suffices.
/// Common row sizes get a fixed word count (const generic), which compiles to unrolled scalar POPCNTs;
/// with a run-time count LLVM vectorises the popcount with a per-row horizontal sum, which is slower.
#[inline(always)]
pub fn scan_hamming_body(query_bits: &[u8], bits: &[u8], bytes: usize, work: Work<'_>) -> TopK {
    if bytes == 0 || work.k == 0 {
        return TopK::new(work.k);
    }
    match bytes {
        32 => hamming_fixed::<4>(query_bits, bits, work),
        48 => hamming_fixed::<6>(query_bits, bits, work),
        64 => hamming_fixed::<8>(query_bits, bits, work),
        96 => hamming_fixed::<12>(query_bits, bits, work),
        128 => hamming_fixed::<16>(query_bits, bits, work),
        192 => hamming_fixed::<24>(query_bits, bits, work),
        _ => hamming_scan(work, bytes, bits, |row| kernels::hamming(query_bits, row)),
    }
}

#[inline(always)]
fn word(bytes: &[u8], index: usize) -> u64 {
    let w = &bytes[index * 8..index * 8 + 8];
    u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]])
}

#[inline(always)]
fn hamming_fixed<const WORDS: usize>(query_bits: &[u8], bits: &[u8], work: Work<'_>) -> TopK {
    let mut query = [0u64; WORDS];
    for (i, slot) in query.iter_mut().enumerate() {
        *slot = word(query_bits, i);
    }
    hamming_scan(work, WORDS * 8, bits, |row| {
        let mut total = 0u32;
        for (i, q) in query.iter().enumerate() {
            total += (q ^ word(row, i)).count_ones();
        }
        total
    })
}

#[inline(always)]
fn hamming_scan<F: Fn(&[u8]) -> u32>(
    work: Work<'_>,
    bytes: usize,
    bits: &[u8],
    distance: F,
) -> TopK {
    let Work {
        selection,
        start,
        end,
        k,
    } = work;
    let mut top = TopK::new(k);
    match selection {
        Selection::Allow(list) => {
            for &row in &list[start..end] {
                let row = row as usize;
                top.push(
                    row as u32,
                    -(distance(&bits[row * bytes..(row + 1) * bytes]) as f64),
                );
            }
        }
        Selection::All | Selection::Mask(_) => {
            let mask = if let Selection::Mask(mask) = selection {
                Some(*mask)
            } else {
                None
            };
            let mut worst = u32::MAX;
            for (offset, row_bits) in bits[start * bytes..end * bytes]
                .chunks_exact(bytes)
                .enumerate()
            {
                let row = start + offset;
                if let Some(mask) = mask {
                    if mask[row / 8] & (1 << (row % 8)) == 0 {
                        continue;
                    }
                }
                let d = distance(row_bits);
                if d >= worst {
                    continue;
                }
                top.push(row as u32, -(d as f64));
                if top.is_full() {
                    worst = (-top.worst_score()) as u32;
                }
            }
        }
    }
    top
}

/// Row `index` of a row-major matrix of `dims` columns.
#[inline(always)]
pub fn row(matrix: &[f32], dims: usize, index: usize) -> &[f32] {
    &matrix[index * dims..(index + 1) * dims]
}

/// The per-row kernels a search runs on. `search` is generic over this trait so that it stays safe code
/// that does not depend on `ffi`: [`Portable`] is the safe, auto-vectorised set, and
/// `ffi::simd::Dispatched` picks the AVX2/FMA kernels at run time (falling back to [`Portable`]).
pub trait Scanner: Sync {
    /// Score of one pair: dot, cosine, or squared L2 distance.
    fn score(&self, metric: Metric, a: &[f32], b: &[f32]) -> f64;

    /// Exact scan of work items `start..end`; keys are scores (dot/cosine) or `-distance` (L2).
    fn scan_exact(
        &self,
        metric: Metric,
        query: &[f32],
        matrix: &[f32],
        dims: usize,
        work: Work<'_>,
        min_key: f64,
    ) -> TopK;

    /// int8 scan: key = `scale_row · (codes_q · codes_row)`, computed in f64 from an exact i32 dot product
    /// so the JS fallback reproduces it bit for bit.
    fn scan_int8(
        &self,
        query_codes: &[i8],
        codes: &[i8],
        scales: &[f32],
        dims: usize,
        work: Work<'_>,
    ) -> TopK;

    /// 1-bit scan: key = `-hamming(query_bits, row_bits)`.
    fn scan_hamming(&self, query_bits: &[u8], bits: &[u8], bytes: usize, work: Work<'_>) -> TopK;

    /// Reads every element once (the bandwidth yardstick of the benchmark).
    fn read_sum(&self, data: &[f32]) -> f32;
}

#[inline(always)]
fn portable_score(metric: Metric, a: &[f32], b: &[f32]) -> f64 {
    match metric {
        Metric::Dot => kernels::dot(a, b) as f64,
        Metric::Cosine => {
            let (ab, aa, bb) = kernels::dot_and_norms(a, b);
            kernels::cosine_from_parts(ab, aa, bb)
        }
        Metric::L2 => kernels::squared_l2(a, b) as f64,
    }
}

/// The portable kernels from `crate::kernels` (SSE2 on x86_64, NEON on aarch64, by auto-vectorisation).
#[derive(Clone, Copy, Debug, Default)]
pub struct Portable;

impl Scanner for Portable {
    fn score(&self, metric: Metric, a: &[f32], b: &[f32]) -> f64 {
        portable_score(metric, a, b)
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
        scan_range(work, min_key, |r| {
            let value = portable_score(metric, query, row(matrix, dims, r));
            if metric == Metric::L2 {
                -value
            } else {
                value
            }
        })
    }

    fn scan_int8(
        &self,
        query_codes: &[i8],
        codes: &[i8],
        scales: &[f32],
        dims: usize,
        work: Work<'_>,
    ) -> TopK {
        scan_range(work, f64::NEG_INFINITY, |r| {
            scales[r] as f64 * kernels::dot_i8(query_codes, &codes[r * dims..(r + 1) * dims]) as f64
        })
    }

    fn scan_hamming(&self, query_bits: &[u8], bits: &[u8], bytes: usize, work: Work<'_>) -> TopK {
        scan_hamming_body(query_bits, bits, bytes, work)
    }

    fn read_sum(&self, data: &[f32]) -> f32 {
        kernels::read_sum(data)
    }
}
