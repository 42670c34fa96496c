//! Value conversion between JS and Rust: typed-array arguments seen in place (never copied) and checked
//! for type, numbers checked for range, argument lists padded with `undefined`, and results built as JS
//! numbers, typed arrays and the `{ indices, scores }` hits object. Every `unsafe fn` here needs `env`
//! and the `napi_value`s it is given to come from the Node-API callback being served (they are valid only
//! during it).

use super::error::{check, invalid, NifError, NifResult};
use super::sys::*;
use crate::topk::Hit;
use std::ffi::c_void;
use std::ptr;

/// A typed array argument seen in place: data pointer, element count, and its byte range (for overlap checks).
#[derive(Clone, Copy)]
pub(super) struct RawArray {
    data: *mut c_void,
    pub(super) length: usize,
    kind: i32,
}

impl RawArray {
    fn byte_range(&self, element_size: usize) -> (usize, usize) {
        let start = self.data as usize;
        (start, start + self.length * element_size)
    }
}

fn type_name(kind: i32) -> &'static str {
    match kind {
        INT8_ARRAY => "Int8Array",
        UINT8_ARRAY => "Uint8Array",
        UINT32_ARRAY => "Uint32Array",
        FLOAT32_ARRAY => "Float32Array",
        FLOAT64_ARRAY => "Float64Array",
        _ => "another typed array",
    }
}

/// The typed array `value`, which must be of type `expected`; errors name the argument `name`.
pub(super) unsafe fn raw_array(
    env: napi_env,
    value: napi_value,
    name: &str,
    expected: i32,
) -> NifResult<RawArray> {
    let mut is_typed = false;
    check(
        // SAFETY: env and value come from the current callback.
        unsafe { napi_is_typedarray(env, value, &mut is_typed) },
        "napi_is_typedarray",
    )?;
    if !is_typed {
        return Err(invalid(format!("{name} must be a {}", type_name(expected))));
    }
    let mut kind = 0;
    let mut length = 0usize;
    let mut data = ptr::null_mut();
    let mut offset = 0usize;
    check(
        // SAFETY: value is a typed array (checked above); out-pointers are valid locals.
        unsafe {
            napi_get_typedarray_info(
                env,
                value,
                &mut kind,
                &mut length,
                &mut data,
                ptr::null_mut(),
                &mut offset,
            )
        },
        "napi_get_typedarray_info",
    )?;
    if kind != expected {
        return Err(invalid(format!(
            "{name} must be a {}, got {}",
            type_name(expected),
            type_name(kind)
        )));
    }
    Ok(RawArray { data, length, kind })
}

/// True for `undefined` and `null`: an optional argument left out.
pub(super) unsafe fn is_nullish(env: napi_env, value: napi_value) -> NifResult<bool> {
    let mut kind = 0;
    // SAFETY: env and value come from the current callback.
    check(unsafe { napi_typeof(env, value, &mut kind) }, "napi_typeof")?;
    Ok(kind == NAPI_UNDEFINED || kind == NAPI_NULL)
}

/// A JS number, or `INVALID_ARGUMENT` naming `name`.
pub(super) unsafe fn number(env: napi_env, value: napi_value, name: &str) -> NifResult<f64> {
    let mut kind = 0;
    // SAFETY: env and value come from the current callback.
    check(unsafe { napi_typeof(env, value, &mut kind) }, "napi_typeof")?;
    if kind != NAPI_NUMBER {
        return Err(invalid(format!("{name} must be a number")));
    }
    let mut result = 0f64;
    check(
        // SAFETY: value is a number (checked above).
        unsafe { napi_get_value_double(env, value, &mut result) },
        "napi_get_value_double",
    )?;
    Ok(result)
}

/// A JS number that is an integer in `[min, max]`.
pub(super) unsafe fn integer(
    env: napi_env,
    value: napi_value,
    name: &str,
    min: f64,
    max: f64,
) -> NifResult<usize> {
    // SAFETY: forwarded from the caller's contract.
    let n = unsafe { number(env, value, name)? };
    if !(n.fract() == 0.0 && n >= min && n <= max) {
        return Err(invalid(format!(
            "{name} must be an integer in [{min}, {max}], got {n}"
        )));
    }
    Ok(n as usize)
}

/// Builds a slice over a typed array's memory.
///
/// # Safety
/// `raw` must come from `raw_array` with element type `T`, and the memory must stay valid and unmodified
/// for `'a` (true during a synchronous call; async work holds a reference to the buffer).
pub(super) unsafe fn slice<'a, T>(raw: RawArray) -> &'a [T] {
    if raw.length == 0 || raw.data.is_null() {
        &[]
    } else {
        // SAFETY: per the function contract; typed array data is aligned to its element size.
        unsafe { std::slice::from_raw_parts(raw.data as *const T, raw.length) }
    }
}

/// # Safety
/// As `slice`, and no other live slice may overlap this memory (callers check with `disjoint`).
pub(super) unsafe fn slice_mut<'a, T>(raw: RawArray) -> &'a mut [T] {
    if raw.length == 0 || raw.data.is_null() {
        &mut []
    } else {
        // SAFETY: per the function contract.
        unsafe { std::slice::from_raw_parts_mut(raw.data as *mut T, raw.length) }
    }
}

fn element_size(kind: i32) -> usize {
    match kind {
        INT8_ARRAY | UINT8_ARRAY => 1,
        UINT32_ARRAY | FLOAT32_ARRAY => 4,
        _ => 8,
    }
}

/// Refuses an output that shares memory with an input, which `slice_mut`'s contract forbids.
pub(super) fn disjoint(a: RawArray, b: RawArray, what: &str) -> NifResult<()> {
    let (a0, a1) = a.byte_range(element_size(a.kind));
    let (b0, b1) = b.byte_range(element_size(b.kind));
    if a0 < b1 && b0 < a1 {
        return Err(invalid(format!(
            "{what}: the output must not share memory with the input"
        )));
    }
    Ok(())
}

/// The first `N` arguments of the call (missing ones as `undefined`); fewer than `min` is an error.
pub(super) unsafe fn args<const N: usize>(
    env: napi_env,
    info: napi_callback_info,
    min: usize,
    name: &str,
) -> NifResult<[napi_value; N]> {
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    check(
        // SAFETY: argv has room for N values; argc tells Node-API so.
        unsafe {
            napi_get_cb_info(
                env,
                info,
                &mut argc,
                argv.as_mut_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        },
        "napi_get_cb_info",
    )?;
    if argc < min {
        return Err(invalid(format!(
            "{name}: expected at least {min} arguments, got {argc}"
        )));
    }
    if argc < N {
        let mut undefined = ptr::null_mut();
        // SAFETY: valid env.
        unsafe { napi_get_undefined(env, &mut undefined) };
        for slot in argv.iter_mut().skip(argc) {
            *slot = undefined;
        }
    }
    Ok(argv)
}

/// A JS number.
pub(super) unsafe fn create_double(env: napi_env, value: f64) -> NifResult<napi_value> {
    let mut result = ptr::null_mut();
    check(
        // SAFETY: valid env.
        unsafe { napi_create_double(env, value, &mut result) },
        "napi_create_double",
    )?;
    Ok(result)
}

/// A new typed array of `kind` holding a copy of `values` (the result owns its memory, JS frees it).
pub(super) unsafe fn create_typed<T: Copy>(
    env: napi_env,
    kind: i32,
    values: &[T],
) -> NifResult<napi_value> {
    let bytes = std::mem::size_of_val(values);
    let mut data = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    check(
        // SAFETY: valid env; Node-API allocates `bytes` bytes and returns their address in `data`.
        unsafe { napi_create_arraybuffer(env, bytes, &mut data, &mut buffer) },
        "napi_create_arraybuffer",
    )?;
    if bytes > 0 {
        // SAFETY: `data` points at `bytes` fresh bytes that nothing else references yet.
        unsafe { ptr::copy_nonoverlapping(values.as_ptr() as *const u8, data as *mut u8, bytes) };
    }
    let mut array = ptr::null_mut();
    check(
        // SAFETY: `buffer` is the ArrayBuffer just created, large enough for `values.len()` elements.
        unsafe { napi_create_typedarray(env, kind, values.len(), buffer, 0, &mut array) },
        "napi_create_typedarray",
    )?;
    Ok(array)
}

/// `object[name] = value`.
pub(super) unsafe fn set(
    env: napi_env,
    object: napi_value,
    name: &str,
    value: napi_value,
) -> NifResult<()> {
    let key = c_string(name);
    check(
        // SAFETY: valid env, object and value; key is NUL-terminated.
        unsafe { napi_set_named_property(env, object, key.as_ptr(), value) },
        "napi_set_named_property",
    )
}

/// `{ indices: Uint32Array, scores: Float64Array }`, best first.
pub(super) unsafe fn hits_object(env: napi_env, hits: &[Hit]) -> NifResult<napi_value> {
    let indices: Vec<u32> = hits.iter().map(|h| h.index).collect();
    let scores: Vec<f64> = hits.iter().map(|h| h.score).collect();
    let mut object = ptr::null_mut();
    // SAFETY: valid env for every call below.
    unsafe {
        check(napi_create_object(env, &mut object), "napi_create_object")?;
        let indices_value = create_typed(env, UINT32_ARRAY, &indices)?;
        let scores_value = create_typed(env, FLOAT64_ARRAY, &scores)?;
        set(env, object, "indices", indices_value)?;
        set(env, object, "scores", scores_value)?;
    }
    Ok(object)
}

/// `NON_FINITE`, naming the position, if any value is NaN or ±Infinity.
pub(super) fn check_finite(values: &[f32], name: &str) -> NifResult<()> {
    if let Some(position) = values.iter().position(|v| !v.is_finite()) {
        return Err(NifError {
            code: "NON_FINITE",
            message: format!(
                "{name}[{position}] is {}, but every value must be finite",
                values[position]
            ),
        });
    }
    Ok(())
}
