//! Everything `unsafe` in this crate lives under this module (`lib.rs` denies `unsafe_code` everywhere
//! else), each block with a `// SAFETY:` comment. The rest of the crate (kernels, quantisation, top-k,
//! scan, search) is safe Rust and does not depend on this module.
//!
//! Node-API, declared by hand (no crate dependencies), from the C interface up:
//!
//! - `sys`: the Node-API C functions, types and constants the addon uses;
//! - `error`: `NifError` (a JS error `code` and message), status checks, and the entry wrappers that turn
//!   errors and panics into JS errors or rejected promises;
//! - `convert`: typed arrays read in place, numbers checked for range, results built as JS values;
//! - `scan_args`: the search arguments every search entry point shares, decoded into a `Job`;
//! - `async_work`: a `Job` run on the libuv thread pool, settling a promise;
//! - `exports`: the exported JS functions and `napi_register_module_v1`.
//!
//! And `simd`: the AVX2/FMA kernels, chosen at run time, behind the safe `simd::Dispatched` scanner.
//! Each module uses only those above it in this list (and `simd`, which uses none of them).

mod async_work;
mod convert;
mod error;
mod exports;
mod scan_args;
pub mod simd;
mod sys;
