//! Scans of one query against a row-major matrix: exact (dot, cosine, squared L2), int8 and 1-bit with an
//! exact re-rank, restricted by an allow-list or a bitmask, and split across threads for large inputs.
//! Safe code, generic over the row kernels ([`Scanner`]): the caller chooses them (the Node-API entry points
//! pass `ffi::simd::Dispatched`), so this module does not depend on `ffi`.

use crate::quant;
use crate::scan::{Metric, Scanner, Selection, Work};
use crate::topk::{Hit, TopK};

/// Work (in floats read) above which a scan is split across threads. Measured on the benchmark machine:
/// below about 1M floats (4 MB) thread start-up costs more than it saves.
pub const PARALLEL_THRESHOLD_FLOATS: usize = 1 << 20;

fn thread_count(requested: u32, items: usize, floats_per_item: usize) -> usize {
    let available = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let wanted = match requested {
        0 => {
            if items.saturating_mul(floats_per_item) >= PARALLEL_THRESHOLD_FLOATS {
                available
            } else {
                1
            }
        }
        n => n as usize,
    };
    wanted.clamp(1, available.max(1)).min(items.max(1)).min(64)
}

/// Runs `scan(start, end)` over the selection's work items on `threads` threads and merges the results.
fn parallel<F>(items: usize, threads: usize, k: usize, scan: F) -> TopK
where
    F: Fn(usize, usize) -> TopK + Sync,
{
    if threads <= 1 {
        return scan(0, items);
    }
    let chunk = items.div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let start = (t * chunk).min(items);
                let end = ((t + 1) * chunk).min(items);
                let scan = &scan;
                scope.spawn(move || scan(start, end))
            })
            .collect();
        let mut merged = TopK::new(k);
        for handle in handles {
            match handle.join() {
                Ok(part) => merged.merge(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        merged
    })
}

/// Reads every element once on `threads` threads (each a contiguous part) and returns a checksum: the
/// bandwidth bound of a scan over the same bytes with the same parallelism.
pub fn read_parallel<S: Scanner>(scanner: &S, data: &[f32], threads: usize) -> f32 {
    let threads = threads.clamp(1, 64);
    if threads == 1 {
        return scanner.read_sum(data);
    }
    let chunk = data.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = data
            .chunks(chunk)
            .map(|part| scope.spawn(move || scanner.read_sum(part)))
            .collect();
        parts
            .into_iter()
            .map(|part| part.join().unwrap_or(0.0))
            .sum()
    })
}

/// Parameters shared by every search.
#[derive(Clone, Copy, Debug)]
pub struct Query<'a> {
    pub dims: usize,
    pub rows: usize,
    pub k: usize,
    pub selection: Selection<'a>,
    /// Minimum final score (dot/cosine), or `-max_distance` for L2. `-inf` for none.
    pub min_score: f64,
    /// 0 = decide from the input size.
    pub threads: u32,
}

/// Exact top-k of `query` against `matrix` (rows × dims).
pub fn exact<S: Scanner>(
    scanner: &S,
    metric: Metric,
    query: &[f32],
    matrix: &[f32],
    q: &Query,
) -> Vec<Hit> {
    let items = q.selection.len(q.rows);
    let threads = thread_count(q.threads, items, q.dims);
    let top = parallel(items, threads, q.k, |start, end| {
        scanner.scan_exact(
            metric,
            query,
            matrix,
            q.dims,
            Work {
                selection: &q.selection,
                start,
                end,
                k: q.k,
            },
            q.min_score,
        )
    });
    finish(metric, top)
}

/// Every row's score (dot/cosine) or squared distance (L2), in row order.
pub fn all_scores<S: Scanner>(
    scanner: &S,
    metric: Metric,
    query: &[f32],
    matrix: &[f32],
    dims: usize,
    out: &mut [f64],
) {
    for (row, slot) in out.iter_mut().enumerate() {
        let vector = &matrix[row * dims..(row + 1) * dims];
        *slot = scanner.score(metric, query, vector);
    }
}

fn finish(metric: Metric, top: TopK) -> Vec<Hit> {
    let mut hits = top.into_sorted();
    if metric == Metric::L2 {
        for hit in &mut hits {
            hit.score = -hit.score;
        }
    }
    hits
}

/// Re-ranks candidate rows with exact dot products and keeps the best `k` at or above `min_score`.
pub fn rerank<S: Scanner>(
    scanner: &S,
    query: &[f32],
    matrix: &[f32],
    dims: usize,
    candidates: &[Hit],
    k: usize,
    min_score: f64,
) -> Vec<Hit> {
    let mut top = TopK::new(k);
    for hit in candidates {
        let row = hit.index as usize;
        let score = scanner.score(Metric::Dot, query, &matrix[row * dims..(row + 1) * dims]);
        if score >= min_score {
            top.push(hit.index, score);
        }
    }
    top.into_sorted()
}

/// int8 search: quantise the query, keep the `pool` best rows by `scale_row · (codes_q · codes_row)`, then
/// re-rank them exactly. Ranks by dot product (use unit vectors for cosine).
pub fn int8<S: Scanner>(
    scanner: &S,
    query: &[f32],
    matrix: &[f32],
    codes: &[i8],
    scales: &[f32],
    pool: usize,
    q: &Query,
) -> Vec<Hit> {
    let mut query_codes = vec![0i8; q.dims];
    quant::quantize_int8(query, &mut query_codes);
    let items = q.selection.len(q.rows);
    // The int8 pass reads a quarter of the bytes of an f32 pass.
    let threads = thread_count(q.threads, items, q.dims / 4);
    let candidates = parallel(items, threads, pool, |start, end| {
        scanner.scan_int8(
            &query_codes,
            codes,
            scales,
            q.dims,
            Work {
                selection: &q.selection,
                start,
                end,
                k: pool,
            },
        )
    });
    rerank(
        scanner,
        query,
        matrix,
        q.dims,
        &candidates.into_sorted(),
        q.k,
        q.min_score,
    )
}

/// 1-bit search: keep the `pool` rows nearest in Hamming distance to the query's sign bits, then re-rank
/// them exactly. Ranks by dot product (use unit, roughly zero-centred vectors).
pub fn binary<S: Scanner>(
    scanner: &S,
    query: &[f32],
    matrix: &[f32],
    bits: &[u8],
    pool: usize,
    q: &Query,
) -> Vec<Hit> {
    let bytes = quant::binary_bytes(q.dims);
    let mut query_bits = vec![0u8; bytes];
    quant::quantize_binary(query, &mut query_bits);
    let items = q.selection.len(q.rows);
    // Hamming rows are cheap (a few POPCNTs): only very large scans repay spawning threads.
    let threads = thread_count(q.threads, items, bytes / 16);
    let candidates = parallel(items, threads, pool, |start, end| {
        scanner.scan_hamming(
            &query_bits,
            bits,
            bytes,
            Work {
                selection: &q.selection,
                start,
                end,
                k: pool,
            },
        )
    });
    rerank(
        scanner,
        query,
        matrix,
        q.dims,
        &candidates.into_sorted(),
        q.k,
        q.min_score,
    )
}

/// The search tests, generic over the row kernels: `tests` below runs them on [`crate::scan::Portable`],
/// and `ffi::simd` runs them on the run-time dispatched (AVX2) kernels.
#[cfg(test)]
pub(crate) mod suite {
    use super::*;

    fn clustered(rows: usize, dims: usize, clusters: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        };
        let centers: Vec<f32> = (0..clusters * dims).map(|_| next()).collect();
        let mut data = Vec::with_capacity(rows * dims);
        for r in 0..rows {
            let c = r % clusters;
            let mut v: Vec<f32> = (0..dims)
                .map(|d| centers[c * dims + d] + 0.3 * next())
                .collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
            data.extend(v);
        }
        data
    }

    fn query<'a>(
        rows: usize,
        dims: usize,
        k: usize,
        selection: Selection<'a>,
        threads: u32,
    ) -> Query<'a> {
        Query {
            dims,
            rows,
            k,
            selection,
            min_score: f64::NEG_INFINITY,
            threads,
        }
    }

    pub(crate) fn exact_top_k_matches_brute_force_for_every_metric_and_thread_count<S: Scanner>(
        scanner: &S,
    ) {
        let (rows, dims) = (3000, 37);
        let data = clustered(rows, dims, 10, 7);
        let q = &data[5 * dims..6 * dims];
        for metric in [Metric::Dot, Metric::Cosine, Metric::L2] {
            let mut scores = vec![0f64; rows];
            all_scores(scanner, metric, q, &data, dims, &mut scores);
            let mut expected: Vec<(usize, f64)> = scores.iter().copied().enumerate().collect();
            if metric == Metric::L2 {
                expected.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then(a.0.cmp(&b.0)));
            } else {
                expected.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
            }
            for threads in [1, 2, 3] {
                let hits = exact(
                    scanner,
                    metric,
                    q,
                    &data,
                    &query(rows, dims, 10, Selection::All, threads),
                );
                let got: Vec<usize> = hits.iter().map(|h| h.index as usize).collect();
                let want: Vec<usize> = expected.iter().take(10).map(|e| e.0).collect();
                assert_eq!(got, want, "{metric:?} threads={threads}");
            }
        }
    }

    pub(crate) fn allow_list_and_mask_restrict_the_scan<S: Scanner>(scanner: &S) {
        let (rows, dims) = (100, 8);
        let data = clustered(rows, dims, 4, 3);
        let q = &data[0..dims];
        let allow = [3u32, 50, 97];
        let hits = exact(
            scanner,
            Metric::Dot,
            q,
            &data,
            &query(rows, dims, 10, Selection::Allow(&allow), 1),
        );
        let mut got: Vec<u32> = hits.iter().map(|h| h.index).collect();
        got.sort();
        assert_eq!(got, allow.to_vec());
        let mut mask = vec![0u8; rows.div_ceil(8)];
        for row in [1usize, 9, 64] {
            mask[row / 8] |= 1 << (row % 8);
        }
        let hits = exact(
            scanner,
            Metric::Dot,
            q,
            &data,
            &query(rows, dims, 10, Selection::Mask(&mask), 2),
        );
        let mut got: Vec<u32> = hits.iter().map(|h| h.index).collect();
        got.sort();
        assert_eq!(got, vec![1, 9, 64]);
    }

    pub(crate) fn min_score_filters_results<S: Scanner>(scanner: &S) {
        let data = [1.0f32, 0.0, 0.0, 1.0, 0.6, 0.8];
        let mut q = query(3, 2, 10, Selection::All, 1);
        q.min_score = 0.5;
        let hits = exact(scanner, Metric::Dot, &[1.0, 0.0], &data, &q);
        assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), vec![0, 2]);
    }

    pub(crate) fn quantized_searches_find_the_exact_neighbours_on_clustered_data<S: Scanner>(
        scanner: &S,
    ) {
        let (rows, dims) = (4000, 64);
        let data = clustered(rows, dims, 40, 11);
        let mut codes = vec![0i8; rows * dims];
        let mut scales = vec![0f32; rows];
        let bytes = quant::binary_bytes(dims);
        let mut bits = vec![0u8; rows * bytes];
        for r in 0..rows {
            let v = &data[r * dims..(r + 1) * dims];
            scales[r] = quant::quantize_int8(v, &mut codes[r * dims..(r + 1) * dims]);
            quant::quantize_binary(v, &mut bits[r * bytes..(r + 1) * bytes]);
        }
        let mut int8_found = 0;
        let mut binary_found = 0;
        for probe in 0..20 {
            let q = &data[(probe * 37) * dims..(probe * 37 + 1) * dims];
            let params = query(rows, dims, 10, Selection::All, 0);
            let truth: Vec<u32> = exact(scanner, Metric::Dot, q, &data, &params)
                .iter()
                .map(|h| h.index)
                .collect();
            let a = int8(scanner, q, &data, &codes, &scales, 40, &params);
            let b = binary(scanner, q, &data, &bits, 300, &params);
            int8_found += a.iter().filter(|h| truth.contains(&h.index)).count();
            binary_found += b.iter().filter(|h| truth.contains(&h.index)).count();
        }
        assert!(
            int8_found as f64 / 200.0 >= 0.99,
            "int8 recall {}",
            int8_found as f64 / 200.0
        );
        assert!(
            binary_found as f64 / 200.0 >= 0.9,
            "binary recall {}",
            binary_found as f64 / 200.0
        );
    }
}

#[cfg(test)]
mod tests {
    use super::suite;
    use crate::scan::Portable;

    #[test]
    fn exact_top_k_matches_brute_force_for_every_metric_and_thread_count() {
        suite::exact_top_k_matches_brute_force_for_every_metric_and_thread_count(&Portable);
    }

    #[test]
    fn allow_list_and_mask_restrict_the_scan() {
        suite::allow_list_and_mask_restrict_the_scan(&Portable);
    }

    #[test]
    fn min_score_filters_results() {
        suite::min_score_filters_results(&Portable);
    }

    #[test]
    fn quantized_searches_find_the_exact_neighbours_on_clustered_data() {
        suite::quantized_searches_find_the_exact_neighbours_on_clustered_data(&Portable);
    }
}
