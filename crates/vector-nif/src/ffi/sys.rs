//! The Node-API C interface, declared by hand: the handful of functions, types and constants this addon
//! uses, with the values of `node_api.h` / `js_native_api_types.h` (Node-API is a stable C ABI, so these
//! never change under us). Node resolves the `napi_*` symbols when it loads the addon. Nothing here is
//! wrapped; the other `ffi` modules build the checked layers on top.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void, CString};

#[repr(C)]
pub(super) struct napi_env__ {
    _private: [u8; 0],
}
#[repr(C)]
pub(super) struct napi_value__ {
    _private: [u8; 0],
}
#[repr(C)]
pub(super) struct napi_callback_info__ {
    _private: [u8; 0],
}
#[repr(C)]
pub(super) struct napi_deferred__ {
    _private: [u8; 0],
}
#[repr(C)]
pub(super) struct napi_async_work__ {
    _private: [u8; 0],
}
#[repr(C)]
pub(super) struct napi_ref__ {
    _private: [u8; 0],
}

pub(super) type napi_env = *mut napi_env__;
pub(super) type napi_value = *mut napi_value__;
pub(super) type napi_callback_info = *mut napi_callback_info__;
pub(super) type napi_deferred = *mut napi_deferred__;
pub(super) type napi_async_work = *mut napi_async_work__;
pub(super) type napi_ref = *mut napi_ref__;
pub(super) type napi_status = i32;
pub(super) type napi_callback =
    Option<unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value>;
pub(super) type napi_async_execute_callback = Option<unsafe extern "C" fn(napi_env, *mut c_void)>;
pub(super) type napi_async_complete_callback =
    Option<unsafe extern "C" fn(napi_env, napi_status, *mut c_void)>;

pub(super) const NAPI_OK: napi_status = 0;
pub(super) const NAPI_AUTO_LENGTH: usize = usize::MAX;

// napi_valuetype
pub(super) const NAPI_UNDEFINED: i32 = 0;
pub(super) const NAPI_NULL: i32 = 1;
pub(super) const NAPI_NUMBER: i32 = 3;

// napi_typedarray_type
pub(super) const INT8_ARRAY: i32 = 0;
pub(super) const UINT8_ARRAY: i32 = 1;
pub(super) const UINT32_ARRAY: i32 = 6;
pub(super) const FLOAT32_ARRAY: i32 = 7;
pub(super) const FLOAT64_ARRAY: i32 = 8;

extern "C" {
    pub(super) fn napi_get_cb_info(
        env: napi_env,
        info: napi_callback_info,
        argc: *mut usize,
        argv: *mut napi_value,
        this_arg: *mut napi_value,
        data: *mut *mut c_void,
    ) -> napi_status;
    pub(super) fn napi_typeof(env: napi_env, value: napi_value, result: *mut i32) -> napi_status;
    pub(super) fn napi_is_typedarray(
        env: napi_env,
        value: napi_value,
        result: *mut bool,
    ) -> napi_status;
    pub(super) fn napi_get_typedarray_info(
        env: napi_env,
        typedarray: napi_value,
        kind: *mut i32,
        length: *mut usize,
        data: *mut *mut c_void,
        arraybuffer: *mut napi_value,
        byte_offset: *mut usize,
    ) -> napi_status;
    pub(super) fn napi_get_value_double(
        env: napi_env,
        value: napi_value,
        result: *mut f64,
    ) -> napi_status;
    pub(super) fn napi_create_double(
        env: napi_env,
        value: f64,
        result: *mut napi_value,
    ) -> napi_status;
    pub(super) fn napi_create_object(env: napi_env, result: *mut napi_value) -> napi_status;
    pub(super) fn napi_set_named_property(
        env: napi_env,
        object: napi_value,
        name: *const c_char,
        value: napi_value,
    ) -> napi_status;
    pub(super) fn napi_create_function(
        env: napi_env,
        name: *const c_char,
        length: usize,
        cb: napi_callback,
        data: *mut c_void,
        result: *mut napi_value,
    ) -> napi_status;
    pub(super) fn napi_throw_error(
        env: napi_env,
        code: *const c_char,
        msg: *const c_char,
    ) -> napi_status;
    pub(super) fn napi_create_error(
        env: napi_env,
        code: napi_value,
        msg: napi_value,
        result: *mut napi_value,
    ) -> napi_status;
    pub(super) fn napi_create_string_utf8(
        env: napi_env,
        s: *const c_char,
        length: usize,
        result: *mut napi_value,
    ) -> napi_status;
    pub(super) fn napi_create_arraybuffer(
        env: napi_env,
        length: usize,
        data: *mut *mut c_void,
        result: *mut napi_value,
    ) -> napi_status;
    pub(super) fn napi_create_typedarray(
        env: napi_env,
        kind: i32,
        length: usize,
        arraybuffer: napi_value,
        byte_offset: usize,
        result: *mut napi_value,
    ) -> napi_status;
    pub(super) fn napi_create_promise(
        env: napi_env,
        deferred: *mut napi_deferred,
        promise: *mut napi_value,
    ) -> napi_status;
    pub(super) fn napi_resolve_deferred(
        env: napi_env,
        deferred: napi_deferred,
        resolution: napi_value,
    ) -> napi_status;
    pub(super) fn napi_reject_deferred(
        env: napi_env,
        deferred: napi_deferred,
        rejection: napi_value,
    ) -> napi_status;
    pub(super) fn napi_create_async_work(
        env: napi_env,
        async_resource: napi_value,
        async_resource_name: napi_value,
        execute: napi_async_execute_callback,
        complete: napi_async_complete_callback,
        data: *mut c_void,
        result: *mut napi_async_work,
    ) -> napi_status;
    pub(super) fn napi_queue_async_work(env: napi_env, work: napi_async_work) -> napi_status;
    pub(super) fn napi_delete_async_work(env: napi_env, work: napi_async_work) -> napi_status;
    pub(super) fn napi_create_reference(
        env: napi_env,
        value: napi_value,
        initial: u32,
        result: *mut napi_ref,
    ) -> napi_status;
    pub(super) fn napi_delete_reference(env: napi_env, reference: napi_ref) -> napi_status;
    pub(super) fn napi_get_undefined(env: napi_env, result: *mut napi_value) -> napi_status;
    pub(super) fn napi_is_exception_pending(env: napi_env, result: *mut bool) -> napi_status;
}

/// Text for Node-API: a NUL-terminated copy (an interior NUL, which a C string cannot hold, becomes a space).
pub(super) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}
