use lambda_runtime::Error;

use check_status::{DISPATCH, FUNCTION};

// C's pow and log2f defined here, so the bootstrap loads no libm.so.6 (corpnum::runtime::libm).
corpnum::bootstrap_math!();

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // What the function uses is fixed at compile time: it links only those SDK clients and
    // its own routes, the same dispatcher its crate's handler (and so the tests) use.
    corpnum::runtime::run::<
        { FUNCTION.uses_sns() },
        { FUNCTION.queues_reviews() },
        { FUNCTION.handles_codes() },
    >(FUNCTION, DISPATCH)
    .await
}
