//! Vector search kernels for `@mimo-mcp/vector-nif`: dot product, cosine, squared L2, normalisation,
//! exact top-k with filters, int8 and 1-bit quantised search with exact re-ranking, AVX2/FMA selected at
//! run time, multi-threaded scans for large inputs, and async variants on the libuv thread pool.
//!
//! The crate has no dependencies: it declares the Node-API functions it uses itself (`ffi::napi`) and
//! exports `napi_register_module_v1`; Node resolves the `napi_*` symbols when it loads the addon.

pub mod ffi;
pub mod kernels;
pub mod quant;
pub mod scan;
pub mod search;
pub mod topk;
