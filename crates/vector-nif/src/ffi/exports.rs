//! The JS functions the addon exports, one `js_*` entry point each, and `napi_register_module_v1`, which
//! Node calls when it loads the addon. Each entry point decodes its arguments (`convert`, `scan_args`),
//! runs safe Rust (`search`, `quant`, the dispatched kernels) and converts the result; `entry` /
//! `entry_async` turn errors and panics into JS errors. To add a function: write `js_<name>` here, list it
//! in `BINDINGS`, and add it to the JS side (`RawBackend`, `REQUIRED_FUNCTIONS`, the JS fallback).

use super::async_work::start_async;
use super::convert::{
    args, check_finite, create_double, create_typed, disjoint, hits_object, integer, is_nullish,
    raw_array, set, slice, slice_mut,
};
use super::error::{check, entry, entry_async, invalid, NifError, NifResult};
use super::scan_args::{binary_job, exact_job, int8_job, MAX_DIMS};
use super::simd::{self, Dispatched};
use super::sys::*;
use crate::kernels;
use crate::quant;
use crate::scan::{Metric, Scanner};
use crate::search;
use std::ffi::c_char;
use std::ptr;

unsafe fn pair(
    env: napi_env,
    info: napi_callback_info,
    name: &str,
) -> NifResult<(&'static [f32], &'static [f32])> {
    // SAFETY: env/info from the current callback; slices live for the synchronous call only (callers
    // never let them escape).
    unsafe {
        let [a, b] = args::<2>(env, info, 2, name)?;
        let a: &[f32] = slice(raw_array(env, a, "a", FLOAT32_ARRAY)?);
        let b: &[f32] = slice(raw_array(env, b, "b", FLOAT32_ARRAY)?);
        if a.is_empty() || b.is_empty() {
            return Err(NifError {
                code: "EMPTY_VECTOR",
                message: format!("{name}: vectors must not be empty"),
            });
        }
        if a.len() != b.len() {
            return Err(NifError {
                code: "DIMENSION_MISMATCH",
                message: format!("{name}: a has {} dimensions but b has {}", a.len(), b.len()),
            });
        }
        check_finite(a, "a")?;
        check_finite(b, "b")?;
        Ok((a, b))
    }
}

unsafe extern "C" fn js_dot(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API with a valid env and info.
    unsafe {
        entry(env, || {
            let (a, b) = pair(env, info, "dot")?;
            create_double(env, Dispatched.score(Metric::Dot, a, b))
        })
    }
}

unsafe extern "C" fn js_cosine(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API with a valid env and info.
    unsafe {
        entry(env, || {
            let (a, b) = pair(env, info, "cosine")?;
            create_double(env, Dispatched.score(Metric::Cosine, a, b))
        })
    }
}

unsafe extern "C" fn js_squared_l2(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API with a valid env and info.
    unsafe {
        entry(env, || {
            let (a, b) = pair(env, info, "squaredL2")?;
            create_double(env, Dispatched.score(Metric::L2, a, b))
        })
    }
}

/// normalize(v: Float32Array): number — scales v to unit length in place; returns the original norm.
unsafe extern "C" fn js_normalize(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API with a valid env and info; the slice is used only during this call.
    unsafe {
        entry(env, || {
            let [v] = args::<1>(env, info, 1, "normalize")?;
            let v: &mut [f32] = slice_mut(raw_array(env, v, "vector", FLOAT32_ARRAY)?);
            if v.is_empty() {
                return Err(NifError {
                    code: "EMPTY_VECTOR",
                    message: "normalize: the vector must not be empty".into(),
                });
            }
            check_finite(v, "vector")?;
            let norm = kernels::normalize_in_place(v);
            create_double(env, norm)
        })
    }
}

/// normalizeRows(matrix: Float32Array, dims: number): undefined — normalize() applied to every row in place,
/// in one call (a bulk load would otherwise cross into native code once per row).
unsafe extern "C" fn js_normalize_rows(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API with a valid env and info; the slice is used only during this call.
    unsafe {
        entry(env, || {
            let [matrix, dims] = args::<2>(env, info, 2, "normalizeRows")?;
            let matrix: &mut [f32] = slice_mut(raw_array(env, matrix, "matrix", FLOAT32_ARRAY)?);
            let dims = integer(env, dims, "dims", 1.0, MAX_DIMS)?;
            if !matrix.len().is_multiple_of(dims) {
                return Err(NifError {
                    code: "DIMENSION_MISMATCH",
                    message: format!(
                        "normalizeRows: the matrix has {} values, not a multiple of dims {dims}",
                        matrix.len()
                    ),
                });
            }
            check_finite(matrix, "matrix")?;
            matrix.chunks_exact_mut(dims).for_each(|row| {
                kernels::normalize_in_place(row);
            });
            let mut undefined = ptr::null_mut();
            napi_get_undefined(env, &mut undefined);
            Ok(undefined)
        })
    }
}

unsafe extern "C" fn js_top_k(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API; the job's arrays are used only during this call.
    unsafe {
        entry(env, || {
            hits_object(env, &exact_job(env, info, "topK")?.0.run())
        })
    }
}

unsafe extern "C" fn js_search_int8(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API; the job's arrays are used only during this call.
    unsafe {
        entry(env, || {
            hits_object(env, &int8_job(env, info, "searchInt8")?.0.run())
        })
    }
}

unsafe extern "C" fn js_search_binary(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API; the job's arrays are used only during this call.
    unsafe {
        entry(env, || {
            hits_object(env, &binary_job(env, info, "searchBinary")?.0.run())
        })
    }
}

/// scores(query, matrix, dims, metric): Float64Array of every row's score (or squared distance).
unsafe extern "C" fn js_scores(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API; slices are used only during this call.
    unsafe {
        entry(env, || {
            let [query, matrix, dims, metric] = args::<4>(env, info, 3, "scores")?;
            let query_raw = raw_array(env, query, "query", FLOAT32_ARRAY)?;
            let matrix_raw = raw_array(env, matrix, "matrix", FLOAT32_ARRAY)?;
            let dims = integer(env, dims, "dims", 1.0, MAX_DIMS)?;
            let metric_code = if is_nullish(env, metric)? {
                0
            } else {
                integer(env, metric, "metric", 0.0, 2.0)?
            };
            let metric = Metric::from_code(metric_code as u32)
                .ok_or_else(|| invalid("scores: unknown metric".into()))?;
            if query_raw.length == 0 {
                return Err(NifError {
                    code: "EMPTY_VECTOR",
                    message: "scores: the query must not be empty".into(),
                });
            }
            if query_raw.length != dims || matrix_raw.length % dims != 0 {
                return Err(NifError {
                    code: "DIMENSION_MISMATCH",
                    message: format!(
                        "scores: query ({}) and matrix ({}) do not fit dims {dims}",
                        query_raw.length, matrix_raw.length
                    ),
                });
            }
            let query: &[f32] = slice(query_raw);
            check_finite(query, "query")?;
            let mut out = vec![0f64; matrix_raw.length / dims];
            search::all_scores(
                &Dispatched,
                metric,
                query,
                slice(matrix_raw),
                dims,
                &mut out,
            );
            create_typed(env, FLOAT64_ARRAY, &out)
        })
    }
}

/// quantizeInt8(vectors, dims, codes, scales) and quantizeBinary(vectors, dims, bits).
unsafe extern "C" fn js_quantize_int8(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API; input and outputs are checked to be disjoint before slicing.
    unsafe {
        entry(env, || {
            let [vectors, dims, codes, scales] = args::<4>(env, info, 4, "quantizeInt8")?;
            let vectors_raw = raw_array(env, vectors, "vectors", FLOAT32_ARRAY)?;
            let dims = integer(env, dims, "dims", 1.0, MAX_DIMS)?;
            let codes_raw = raw_array(env, codes, "codes", INT8_ARRAY)?;
            let scales_raw = raw_array(env, scales, "scales", FLOAT32_ARRAY)?;
            if vectors_raw.length % dims != 0
                || codes_raw.length != vectors_raw.length
                || scales_raw.length != vectors_raw.length / dims
            {
                return Err(NifError {
                    code: "DIMENSION_MISMATCH",
                    message: "quantizeInt8: codes must match vectors in length and scales must have one entry per row".into(),
                });
            }
            disjoint(vectors_raw, codes_raw, "quantizeInt8")?;
            disjoint(vectors_raw, scales_raw, "quantizeInt8")?;
            disjoint(codes_raw, scales_raw, "quantizeInt8")?;
            let vectors: &[f32] = slice(vectors_raw);
            check_finite(vectors, "vectors")?;
            let codes: &mut [i8] = slice_mut(codes_raw);
            let scales: &mut [f32] = slice_mut(scales_raw);
            for (row, scale) in scales.iter_mut().enumerate() {
                *scale = quant::quantize_int8(
                    &vectors[row * dims..(row + 1) * dims],
                    &mut codes[row * dims..(row + 1) * dims],
                );
            }
            let mut undefined = ptr::null_mut();
            napi_get_undefined(env, &mut undefined);
            Ok(undefined)
        })
    }
}

unsafe extern "C" fn js_quantize_binary(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API; input and output are checked to be disjoint before slicing.
    unsafe {
        entry(env, || {
            let [vectors, dims, bits] = args::<3>(env, info, 3, "quantizeBinary")?;
            let vectors_raw = raw_array(env, vectors, "vectors", FLOAT32_ARRAY)?;
            let dims = integer(env, dims, "dims", 1.0, MAX_DIMS)?;
            let bits_raw = raw_array(env, bits, "bits", UINT8_ARRAY)?;
            let bytes = quant::binary_bytes(dims);
            if vectors_raw.length % dims != 0
                || bits_raw.length != (vectors_raw.length / dims) * bytes
            {
                return Err(NifError {
                    code: "DIMENSION_MISMATCH",
                    message: format!("quantizeBinary: bits must hold {bytes} bytes per row"),
                });
            }
            disjoint(vectors_raw, bits_raw, "quantizeBinary")?;
            let vectors: &[f32] = slice(vectors_raw);
            check_finite(vectors, "vectors")?;
            let bits: &mut [u8] = slice_mut(bits_raw);
            for row in 0..vectors.len() / dims {
                quant::quantize_binary(
                    &vectors[row * dims..(row + 1) * dims],
                    &mut bits[row * bytes..(row + 1) * bytes],
                );
            }
            let mut undefined = ptr::null_mut();
            napi_get_undefined(env, &mut undefined);
            Ok(undefined)
        })
    }
}

/// readBandwidth(data: Float32Array, threads = 1): number — reads every element once, on `threads` threads;
/// the benchmark's yardstick for the memory-bandwidth bound of a scan.
unsafe extern "C" fn js_read_bandwidth(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API; the slice is used only during this call.
    unsafe {
        entry(env, || {
            let [data, threads] = args::<2>(env, info, 1, "readBandwidth")?;
            let data: &[f32] = slice(raw_array(env, data, "data", FLOAT32_ARRAY)?);
            let threads = if is_nullish(env, threads)? {
                1
            } else {
                integer(env, threads, "threads", 1.0, 64.0)?
            };
            create_double(
                env,
                search::read_parallel(&Dispatched, data, threads) as f64,
            )
        })
    }
}

/// info(): { simd, threads, version }
unsafe extern "C" fn js_info(env: napi_env, _info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API with a valid env.
    unsafe {
        entry(env, || {
            let mut object = ptr::null_mut();
            check(napi_create_object(env, &mut object), "napi_create_object")?;
            let simd = c_string(simd::level().name());
            let version = c_string(env!("CARGO_PKG_VERSION"));
            let mut simd_value = ptr::null_mut();
            let mut version_value = ptr::null_mut();
            napi_create_string_utf8(env, simd.as_ptr(), NAPI_AUTO_LENGTH, &mut simd_value);
            napi_create_string_utf8(env, version.as_ptr(), NAPI_AUTO_LENGTH, &mut version_value);
            let threads = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1);
            set(env, object, "simd", simd_value)?;
            set(env, object, "version", version_value)?;
            set(env, object, "threads", create_double(env, threads as f64)?)?;
            set(
                env,
                object,
                "parallelThresholdFloats",
                create_double(env, search::PARALLEL_THRESHOLD_FLOATS as f64)?,
            )?;
            Ok(object)
        })
    }
}

unsafe extern "C" fn js_top_k_async(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API; the arrays are kept alive by references until the work completes.
    unsafe {
        entry_async(env, || {
            let (job, argv) = exact_job(env, info, "topKAsync")?;
            // Only objects can be referenced (Node-API < 10), so keep the typed arrays alive, not numbers.
            start_async(env, job, &[argv[0], argv[1], argv[4], argv[5]])
        })
    }
}

unsafe extern "C" fn js_search_int8_async(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API; the arrays are kept alive by references until the work completes.
    unsafe {
        entry_async(env, || {
            let (job, argv) = int8_job(env, info, "searchInt8Async")?;
            start_async(
                env,
                job,
                &[argv[0], argv[1], argv[4], argv[5], argv[8], argv[9]],
            )
        })
    }
}

unsafe extern "C" fn js_search_binary_async(env: napi_env, info: napi_callback_info) -> napi_value {
    // SAFETY: called by Node-API; the arrays are kept alive by references until the work completes.
    unsafe {
        entry_async(env, || {
            let (job, argv) = binary_job(env, info, "searchBinaryAsync")?;
            start_async(env, job, &[argv[0], argv[1], argv[4], argv[5], argv[8]])
        })
    }
}

type Binding = (
    &'static [u8],
    unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value,
);

const BINDINGS: &[Binding] = &[
    (b"dot\0", js_dot),
    (b"cosine\0", js_cosine),
    (b"squaredL2\0", js_squared_l2),
    (b"normalize\0", js_normalize),
    (b"normalizeRows\0", js_normalize_rows),
    (b"scores\0", js_scores),
    (b"topK\0", js_top_k),
    (b"topKAsync\0", js_top_k_async),
    (b"quantizeInt8\0", js_quantize_int8),
    (b"quantizeBinary\0", js_quantize_binary),
    (b"searchInt8\0", js_search_int8),
    (b"searchInt8Async\0", js_search_int8_async),
    (b"searchBinary\0", js_search_binary),
    (b"searchBinaryAsync\0", js_search_binary_async),
    (b"readBandwidth\0", js_read_bandwidth),
    (b"info\0", js_info),
];

/// Module entry point called by Node when the addon is loaded.
///
/// # Safety
/// Called by Node-API with a valid env and exports object.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    for (name, callback) in BINDINGS {
        let mut function = ptr::null_mut();
        // SAFETY: names are NUL-terminated static strings; env and exports are valid.
        unsafe {
            napi_create_function(
                env,
                name.as_ptr() as *const c_char,
                NAPI_AUTO_LENGTH,
                Some(*callback),
                ptr::null_mut(),
                &mut function,
            );
            napi_set_named_property(env, exports, name.as_ptr() as *const c_char, function);
        }
    }
    exports
}

/// The Node-API version this addon needs (async work and promises exist since version 1..4; 8 is safe).
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    8
}
