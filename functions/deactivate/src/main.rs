use lambda_http::Error;

use deactivate::FUNCTION;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // The function is fixed at compile time: it links only its own routes and SDK clients.
    corpnum::runtime::run::<{ FUNCTION.id() }>().await
}
