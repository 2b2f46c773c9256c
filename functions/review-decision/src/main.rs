use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    corpnum::aws::lambda::run(review_decision::FUNCTION).await
}
