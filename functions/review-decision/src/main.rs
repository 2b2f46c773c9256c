use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    corpnum::runtime::run(review_decision::FUNCTION).await
}
