use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    corpnum::runtime::run(check_status::FUNCTION).await
}
