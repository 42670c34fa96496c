//! Scan arguments: decodes and cross-checks the positional arguments every search entry point shares
//! (`query, matrix, dims, k, allow, mask, minScore, threads`) plus each kind's own (metric; codes and
//! scales; bits; pool), into a [`Job`] that the synchronous entry points run at once and `async_work`
//! runs on the libuv thread pool. The limits here are the addon's documented ones.

use super::convert::{args, check_finite, integer, is_nullish, number, raw_array, slice, RawArray};
use super::error::{invalid, NifError, NifResult};
use super::simd::Dispatched;
use super::sys::*;
use crate::quant;
use crate::scan::{Metric, Selection};
use crate::search::{self, Query};
use crate::topk::Hit;

/// The parts of a search request that point into JS memory, checked for consistency.
pub(super) struct Scan {
    query: RawArray,
    matrix: RawArray,
    dims: usize,
    rows: usize,
    k: usize,
    allow: Option<RawArray>,
    mask: Option<RawArray>,
    min_score: f64,
    threads: u32,
}

/// Most dimensions a vector may have.
pub(super) const MAX_DIMS: f64 = 65_536.0;

/// Largest `k` (and candidate pool) a search accepts.
const MAX_K: f64 = 1_000_000.0;

/// Decodes `(query, matrix, dims, k, allow, mask, minScore, threads)` from `argv[0..8]`.
unsafe fn scan_args(env: napi_env, argv: &[napi_value], name: &str) -> NifResult<Scan> {
    // SAFETY: env and values from the current callback.
    unsafe {
        let query = raw_array(env, argv[0], "query", FLOAT32_ARRAY)?;
        let matrix = raw_array(env, argv[1], "matrix", FLOAT32_ARRAY)?;
        let dims = integer(env, argv[2], "dims", 1.0, MAX_DIMS)?;
        let k = integer(env, argv[3], "k", 1.0, MAX_K)?;
        let allow = if is_nullish(env, argv[4])? {
            None
        } else {
            Some(raw_array(env, argv[4], "allow", UINT32_ARRAY)?)
        };
        let mask = if is_nullish(env, argv[5])? {
            None
        } else {
            Some(raw_array(env, argv[5], "mask", UINT8_ARRAY)?)
        };
        let min_score = if is_nullish(env, argv[6])? {
            f64::NEG_INFINITY
        } else {
            number(env, argv[6], "minScore")?
        };
        let threads = if is_nullish(env, argv[7])? {
            0
        } else {
            integer(env, argv[7], "threads", 0.0, 64.0)? as u32
        };
        if query.length == 0 {
            return Err(NifError {
                code: "EMPTY_VECTOR",
                message: format!("{name}: the query must not be empty"),
            });
        }
        if query.length != dims {
            return Err(NifError {
                code: "DIMENSION_MISMATCH",
                message: format!(
                    "{name}: the query has {} dimensions, expected {dims}",
                    query.length
                ),
            });
        }
        if matrix.length % dims != 0 {
            return Err(NifError {
                code: "DIMENSION_MISMATCH",
                message: format!(
                    "{name}: the matrix length {} is not a multiple of dims {dims}",
                    matrix.length
                ),
            });
        }
        let rows = matrix.length / dims;
        if rows > u32::MAX as usize {
            return Err(invalid(format!("{name}: too many rows ({rows})")));
        }
        check_finite(slice(query), "query")?;
        if let Some(list) = allow {
            if let Some(bad) = slice::<u32>(list).iter().find(|i| **i as usize >= rows) {
                return Err(invalid(format!(
                    "{name}: allow contains row {bad}, but there are only {rows} rows"
                )));
            }
        }
        if let Some(bits) = mask {
            if bits.length < rows.div_ceil(8) {
                return Err(invalid(format!(
                    "{name}: mask has {} bytes, {} are needed for {rows} rows",
                    bits.length,
                    rows.div_ceil(8)
                )));
            }
        }
        Ok(Scan {
            query,
            matrix,
            dims,
            rows,
            k,
            allow,
            mask,
            min_score,
            threads,
        })
    }
}

/// # Safety
/// The arrays in `scan` must stay valid for `'a`.
unsafe fn query_of<'a>(scan: &Scan) -> Query<'a> {
    // SAFETY: per the function contract.
    let selection = unsafe {
        match (scan.allow, scan.mask) {
            (Some(list), _) => Selection::Allow(slice(list)),
            (None, Some(bits)) => Selection::Mask(slice(bits)),
            (None, None) => Selection::All,
        }
    };
    Query {
        dims: scan.dims,
        rows: scan.rows,
        k: scan.k,
        selection,
        min_score: scan.min_score,
        threads: scan.threads,
    }
}

/// What a search computes, once its inputs are decoded.
pub(super) enum Job {
    Exact {
        metric: Metric,
        scan: Scan,
    },
    Int8 {
        scan: Scan,
        codes: RawArray,
        scales: RawArray,
        pool: usize,
    },
    Binary {
        scan: Scan,
        bits: RawArray,
        pool: usize,
    },
}

impl Job {
    /// # Safety
    /// Every array in the job must be valid and not written to while this runs.
    pub(super) unsafe fn run(&self) -> Vec<Hit> {
        // SAFETY: per the function contract.
        unsafe {
            match self {
                // For L2 the JS wrapper passes `-maxDistance` as `minScore`, matching the internal key.
                Job::Exact { metric, scan } => search::exact(
                    &Dispatched,
                    *metric,
                    slice(scan.query),
                    slice(scan.matrix),
                    &query_of(scan),
                ),
                Job::Int8 {
                    scan,
                    codes,
                    scales,
                    pool,
                } => search::int8(
                    &Dispatched,
                    slice(scan.query),
                    slice(scan.matrix),
                    slice(*codes),
                    slice(*scales),
                    *pool,
                    &query_of(scan),
                ),
                Job::Binary { scan, bits, pool } => search::binary(
                    &Dispatched,
                    slice(scan.query),
                    slice(scan.matrix),
                    slice(*bits),
                    *pool,
                    &query_of(scan),
                ),
            }
        }
    }
}

/// topK(query, matrix, dims, k, allow, mask, minScore, threads, metric) and its async twin.
pub(super) unsafe fn exact_job(
    env: napi_env,
    info: napi_callback_info,
    name: &str,
) -> NifResult<(Job, [napi_value; 9])> {
    // SAFETY: env/info from the current callback.
    unsafe {
        let argv = args::<9>(env, info, 4, name)?;
        let scan = scan_args(env, &argv, name)?;
        let metric_code = if is_nullish(env, argv[8])? {
            0
        } else {
            integer(env, argv[8], "metric", 0.0, 2.0)?
        };
        let metric = Metric::from_code(metric_code as u32)
            .ok_or_else(|| invalid(format!("{name}: unknown metric")))?;
        Ok((Job::Exact { metric, scan }, argv))
    }
}

/// searchInt8(query, matrix, dims, k, allow, mask, minScore, threads, codes, scales, pool)
pub(super) unsafe fn int8_job(
    env: napi_env,
    info: napi_callback_info,
    name: &str,
) -> NifResult<(Job, [napi_value; 11])> {
    // SAFETY: env/info from the current callback.
    unsafe {
        let argv = args::<11>(env, info, 11, name)?;
        let scan = scan_args(env, &argv, name)?;
        let codes = raw_array(env, argv[8], "codes", INT8_ARRAY)?;
        let scales = raw_array(env, argv[9], "scales", FLOAT32_ARRAY)?;
        let pool = integer(env, argv[10], "pool", 1.0, MAX_K)?;
        if codes.length != scan.rows * scan.dims || scales.length != scan.rows {
            return Err(NifError {
                code: "DIMENSION_MISMATCH",
                message: format!(
                    "{name}: codes ({}) and scales ({}) must hold {} rows of {} dimensions",
                    codes.length, scales.length, scan.rows, scan.dims
                ),
            });
        }
        Ok((
            Job::Int8 {
                scan,
                codes,
                scales,
                pool: pool.max(1),
            },
            argv,
        ))
    }
}

/// searchBinary(query, matrix, dims, k, allow, mask, minScore, threads, bits, pool)
pub(super) unsafe fn binary_job(
    env: napi_env,
    info: napi_callback_info,
    name: &str,
) -> NifResult<(Job, [napi_value; 10])> {
    // SAFETY: env/info from the current callback.
    unsafe {
        let argv = args::<10>(env, info, 10, name)?;
        let scan = scan_args(env, &argv, name)?;
        let bits = raw_array(env, argv[8], "bits", UINT8_ARRAY)?;
        let pool = integer(env, argv[9], "pool", 1.0, MAX_K)?;
        if bits.length != scan.rows * quant::binary_bytes(scan.dims) {
            return Err(NifError {
                code: "DIMENSION_MISMATCH",
                message: format!(
                    "{name}: bits has {} bytes, expected {} rows × {} bytes",
                    bits.length,
                    scan.rows,
                    quant::binary_bytes(scan.dims)
                ),
            });
        }
        Ok((
            Job::Binary {
                scan,
                bits,
                pool: pool.max(1),
            },
            argv,
        ))
    }
}
