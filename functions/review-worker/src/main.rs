use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    corpnum::aws::lambda::run_review_worker().await
}
