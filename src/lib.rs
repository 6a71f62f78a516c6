//! The root package of the Pactum workspace. It holds no code of its own: it owns the
//! cross-crate end-to-end tests in `tests/`, which drive the real binaries and libraries.
