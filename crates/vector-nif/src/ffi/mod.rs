//! Everything `unsafe` in this crate lives under this module: the hand-declared Node-API bindings
//! (`napi`) and the run-time dispatched SIMD kernels (`simd`). Each `unsafe` block carries a `SAFETY:`
//! comment. The rest of the crate (kernels, quantisation, top-k, search) is safe Rust.

mod async_work;
mod convert;
mod error;
mod napi;
mod scan_args;
pub mod simd;
mod sys;
