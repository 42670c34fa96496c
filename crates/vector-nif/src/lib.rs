//! Vector search kernels for `@mimo-mcp/vector-nif`: dot product, cosine, squared L2, normalisation,
//! exact top-k with filters, int8 and 1-bit quantised search with exact re-ranking, AVX2/FMA selected at
//! run time, multi-threaded scans for large inputs, and async variants on the libuv thread pool.
//!
//! The crate has no dependencies: it declares the Node-API functions it uses itself (`ffi`) and exports
//! `napi_register_module_v1`; Node resolves the `napi_*` symbols when it loads the addon. `README.md`
//! has the module map and the reasons.

// Unsafe code is confined to `ffi`, and every unsafe block there says why it is sound.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

#[allow(unsafe_code)]
pub mod ffi;
pub mod kernels;
pub mod quant;
pub mod scan;
pub mod search;
pub mod topk;
