//! Async work: a search [`Job`] runs on the libuv thread pool and settles a promise on the JS thread.
//! The JS arrays the job reads are kept alive by references until it completes; a panic in the job
//! becomes a rejected promise (`INTERNAL`), never a crash.

use super::convert::{hits_object, is_nullish};
use super::error::{check, create_error, NifError, NifResult};
use super::scan_args::Job;
use super::sys::*;
use crate::topk::Hit;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

/// An async search: runs `job` on the libuv thread pool while the JS arrays it reads are kept alive by
/// references. Callers must not write to those arrays (or transfer their buffers) until it settles.
struct AsyncSearch {
    job: Job,
    references: Vec<napi_ref>,
    deferred: napi_deferred,
    work: napi_async_work,
    outcome: Option<Result<Vec<Hit>, NifError>>,
}

unsafe extern "C" fn async_execute(_env: napi_env, data: *mut c_void) {
    // SAFETY: `data` is the AsyncSearch leaked in `start_async`; only this callback touches it until
    // `async_complete` runs on the JS thread. The referenced arrays stay alive (references held).
    unsafe {
        let task = &mut *(data as *mut AsyncSearch);
        let job = &task.job;
        task.outcome = Some(match catch_unwind(AssertUnwindSafe(|| job.run())) {
            Ok(hits) => Ok(hits),
            Err(_) => Err(NifError {
                code: "INTERNAL",
                message: "vector-nif internal error in async search".into(),
            }),
        });
    }
}

unsafe extern "C" fn async_complete(env: napi_env, status: napi_status, data: *mut c_void) {
    // SAFETY: `data` is the AsyncSearch leaked in `start_async`; we take ownership back exactly once.
    unsafe {
        let task = Box::from_raw(data as *mut AsyncSearch);
        let outcome = match (status, task.outcome) {
            (NAPI_OK, Some(result)) => result,
            _ => Err(NifError {
                code: "INTERNAL",
                message: format!("async search did not complete (status {status})"),
            }),
        };
        match outcome.and_then(|hits| hits_object(env, &hits)) {
            Ok(value) => napi_resolve_deferred(env, task.deferred, value),
            Err(error) => napi_reject_deferred(env, task.deferred, create_error(env, &error)),
        };
        for reference in task.references {
            napi_delete_reference(env, reference);
        }
        napi_delete_async_work(env, task.work);
    }
}

/// Queues `job` and returns its promise. `keep_alive` lists the call's array arguments (nullish ones are
/// skipped): each gets a reference so the garbage collector keeps its memory while the job reads it.
pub(super) unsafe fn start_async(
    env: napi_env,
    job: Job,
    keep_alive: &[napi_value],
) -> NifResult<napi_value> {
    // SAFETY: valid env; every napi_value in keep_alive belongs to the current callback.
    unsafe {
        let mut references = Vec::with_capacity(keep_alive.len());
        for value in keep_alive {
            if is_nullish(env, *value)? {
                continue;
            }
            let mut reference = ptr::null_mut();
            check(
                napi_create_reference(env, *value, 1, &mut reference),
                "napi_create_reference",
            )?;
            references.push(reference);
        }
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        check(
            napi_create_promise(env, &mut deferred, &mut promise),
            "napi_create_promise",
        )?;
        let name = c_string("mimo:vector-search");
        let mut name_value = ptr::null_mut();
        napi_create_string_utf8(env, name.as_ptr(), NAPI_AUTO_LENGTH, &mut name_value);
        let task = Box::into_raw(Box::new(AsyncSearch {
            job,
            references,
            deferred,
            work: ptr::null_mut(),
            outcome: None,
        }));
        let mut work = ptr::null_mut();
        let status = napi_create_async_work(
            env,
            ptr::null_mut(),
            name_value,
            Some(async_execute),
            Some(async_complete),
            task as *mut c_void,
            &mut work,
        );
        if status != NAPI_OK {
            let task = Box::from_raw(task);
            for reference in task.references {
                napi_delete_reference(env, reference);
            }
            return Err(NifError {
                code: "INTERNAL",
                message: format!("napi_create_async_work failed ({status})"),
            });
        }
        (*task).work = work;
        check(napi_queue_async_work(env, work), "napi_queue_async_work")?;
        Ok(promise)
    }
}
