//! Build script of every Lambda function (and of the hello-world baseline `make coldstart`
//! compares them with, so both are linked alike): link the bootstrap as a position-dependent
//! executable (`-no-pie`).
//!
//! A position-independent executable of this size carries ~24,000 relative relocations
//! (~0.6 MB of `.rela.dyn`) that the dynamic loader applies at every start, copying ~90 pages
//! of `.data.rel.ro`: ~0.6–1 ms of a 3–4 ms init on the development machine, the largest cost
//! left (docs/operations.md, "Cold start"). Linked at a fixed address there are none, and the
//! binary is ~0.5 MB smaller. Trade-off: the executable's own image is not randomized by ASLR
//! (the stack, heap, mmap areas and shared libraries still are), the default of Go binaries
//! on Lambda; corpnum's crates have no `unsafe` code but the two unmangled math symbols of
//! `shared/src/runtime/libm.rs`. `corpnum-server` and the test binaries
//! stay position-independent.
//!
//! `CORPNUM_LINK_PIE=1` at build time links a PIE as before (to measure the difference).
fn main() {
    println!("cargo:rerun-if-env-changed=CORPNUM_LINK_PIE");
    if std::env::var_os("CORPNUM_LINK_PIE").is_none_or(|v| v != "1") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
