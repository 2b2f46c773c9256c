use lambda_runtime::Error;

// C's pow and log2f defined here, so the bootstrap loads no libm.so.6 (corpnum::runtime::libm).
corpnum::bootstrap_math!();

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    corpnum::runtime::run_review_sweeper().await
}
