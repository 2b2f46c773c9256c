use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    corpnum::runtime::run(deactivate::FUNCTION).await
}
