use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    corpnum::runtime::run_review_worker().await
}
