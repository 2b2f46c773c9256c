use lambda_http::Error;

use review_decision::FUNCTION;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // The function is fixed at compile time: it links only its own routes and SDK clients.
    corpnum::runtime::run::<{ FUNCTION.id() }>().await
}
