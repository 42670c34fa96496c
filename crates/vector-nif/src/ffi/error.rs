//! Errors and panic catching at the JS boundary: a [`NifError`] carries the `code` the thrown JS error gets,
//! Node-API statuses become `INTERNAL` errors, and [`entry`] / [`entry_async`] wrap every entry point so a
//! Rust panic becomes a JS error (or a rejected promise), never a crash of the Node process.

use super::sys::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

/// An error for JS: `code` becomes the thrown error's `code` property.
#[derive(Debug)]
pub(super) struct NifError {
    pub(super) code: &'static str,
    pub(super) message: String,
}

/// What every decoding step and entry point body returns.
pub(super) type NifResult<T> = Result<T, NifError>;

/// An `INVALID_ARGUMENT` error (wrong type, out-of-range number, bad allow-list or mask).
pub(super) fn invalid(message: String) -> NifError {
    NifError {
        code: "INVALID_ARGUMENT",
        message,
    }
}

unsafe fn throw(env: napi_env, error: &NifError) -> napi_value {
    let code = c_string(error.code);
    let message = c_string(&error.message);
    // SAFETY: both strings are NUL-terminated and live until the call returns.
    unsafe { napi_throw_error(env, code.as_ptr(), message.as_ptr()) };
    ptr::null_mut()
}

/// The JS `Error` object for `error` (with its `code`), for rejecting a promise.
pub(super) unsafe fn create_error(env: napi_env, error: &NifError) -> napi_value {
    let mut code = ptr::null_mut();
    let mut message = ptr::null_mut();
    let mut result = ptr::null_mut();
    let code_text = c_string(error.code);
    let message_text = c_string(&error.message);
    // SAFETY: valid env; the strings are NUL-terminated and outlive the calls.
    unsafe {
        napi_create_string_utf8(env, code_text.as_ptr(), NAPI_AUTO_LENGTH, &mut code);
        napi_create_string_utf8(env, message_text.as_ptr(), NAPI_AUTO_LENGTH, &mut message);
        napi_create_error(env, code, message, &mut result);
    }
    result
}

/// Turns a Node-API status into a result: anything but `napi_ok` is an `INTERNAL` error naming the call.
pub(super) fn check(status: napi_status, what: &str) -> NifResult<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(NifError {
            code: "INTERNAL",
            message: format!("Node-API call {what} failed with status {status}"),
        })
    }
}

/// Runs a JS entry point body: errors are thrown with their code; panics become `INTERNAL` errors.
pub(super) unsafe fn entry(
    env: napi_env,
    body: impl FnOnce() -> NifResult<napi_value>,
) -> napi_value {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => {
            let mut pending = false;
            // SAFETY: valid env.
            unsafe { napi_is_exception_pending(env, &mut pending) };
            if pending {
                return ptr::null_mut();
            }
            // SAFETY: valid env.
            unsafe { throw(env, &error) }
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            // SAFETY: valid env.
            unsafe {
                throw(
                    env,
                    &NifError {
                        code: "INTERNAL",
                        message: format!("vector-nif internal error: {message}"),
                    },
                )
            }
        }
    }
}

/// Like `entry`, for functions that return a promise: any failure becomes a rejected promise, never a
/// synchronous throw, so callers handle one failure path.
pub(super) unsafe fn entry_async(
    env: napi_env,
    body: impl FnOnce() -> NifResult<napi_value>,
) -> napi_value {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(NifError {
            code: "INTERNAL",
            message: "vector-nif internal error while starting an async search".into(),
        })
    });
    match outcome {
        Ok(promise) => promise,
        Err(error) => {
            let mut deferred = ptr::null_mut();
            let mut promise = ptr::null_mut();
            // SAFETY: valid env; the deferred is settled immediately.
            unsafe {
                napi_create_promise(env, &mut deferred, &mut promise);
                napi_reject_deferred(env, deferred, create_error(env, &error));
            }
            promise
        }
    }
}
