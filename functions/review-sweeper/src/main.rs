use lambda_runtime::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    corpnum::runtime::run_review_sweeper().await
}
