//! The C math functions the Lambda bootstraps' code calls, defined inside each bootstrap
//! ([`bootstrap_math!`](crate::bootstrap_math)) from the `libm` crate (Rust ports of musl's),
//! so that the dynamic loader does not load and relocate `libm.so.6` at every cold start.
//!
//! Two symbols are all that came from `libm.so.6`: `pow` (the SDK's adaptive-retry rate
//! limiter, and Tokio's multi-thread scheduler statistics, linked though the functions run
//! the current-thread one) and `log2f` (the font subsetter of the PDF documents, for a
//! table's search parameters). Loading the library cost each start ~39,000 instructions and
//! 10 page faults (hello-world with and without it preloaded, docs/operations.md, "Session
//! 16"). Defined in the executable, the linker binds both calls to these and, linking with
//! `--as-needed`, drops the library. `make package` fails if a bootstrap needs `libm.so.6`
//! again (a dependency calling another C math function): define that one here too.
//!
//! Only the bootstraps define them (each `main.rs` invokes the macro); the tests,
//! `corpnum-server` and the local host keep the system's library.

pub use libm::{log2f, pow};

/// Defines `pow` and `log2f` in the binary that invokes it (a Lambda function's `main.rs`).
#[macro_export]
macro_rules! bootstrap_math {
    () => {
        /// C's `pow`, from the `libm` crate (`corpnum::runtime::libm`).
        // The one unsafe attribute: an unmangled symbol, which must not clash with another
        // definition; the C library's is in `libm.so.6`, which the bootstrap no longer loads.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn pow(x: f64, y: f64) -> f64 {
            $crate::runtime::libm::pow(x, y)
        }

        /// C's `log2f`, from the `libm` crate (`corpnum::runtime::libm`).
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn log2f(x: f32) -> f32 {
            $crate::runtime::libm::log2f(x)
        }
    };
}

#[cfg(test)]
mod tests {
    /// The replacements give what the C library gives (this test binary calls the system's
    /// `libm.so.6` through `f64::powf` and `f32::log2`): within one unit in the last place.
    #[test]
    fn the_replacements_agree_with_the_c_library() {
        fn ulps(a: f64, b: f64) -> u64 {
            (a.to_bits() as i64).abs_diff(b.to_bits() as i64)
        }
        let mut checked = 0;
        for i in 0..400 {
            let x = 0.01 + f64::from(i) * 0.37;
            for y in [-3.5, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 7.7, 12.0] {
                let (ours, c) = (super::pow(x, y), x.powf(y));
                assert!(ulps(ours, c) <= 1, "pow({x}, {y}): {ours} against {c}");
                checked += 1;
            }
            let x = x as f32;
            let (ours, c) = (super::log2f(x), x.log2());
            assert!(
                (ours.to_bits() as i32).abs_diff(c.to_bits() as i32) <= 1,
                "log2f({x}): {ours} against {c}"
            );
        }
        // Exact where the subsetter uses it: powers of two and table sizes.
        for n in 1..=4096u32 {
            assert_eq!(
                super::log2f(n as f32).floor(),
                (n as f32).log2().floor(),
                "{n}"
            );
        }
        assert_eq!(super::pow(2.0, 10.0), 1024.0);
        assert!(super::pow(-1.0, 0.5).is_nan() && super::pow(0.0, -1.0).is_infinite());
        assert_eq!(checked, 4400);
    }
}
