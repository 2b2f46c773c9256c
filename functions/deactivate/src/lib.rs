//! The `deactivate` function: POST /v1/numbers/{phone}/deactivation, POST /v1/numbers/{phone}/deactivation/confirm.
//! The rules live in the `corpnum` crate; this crate only names the function.

use corpnum::api::Function;
use corpnum::app::Services;
use corpnum::runtime::gateway::{GatewayEvent, GatewayResponse};

/// This function's routes: all it serves, and links.
pub const DISPATCH: corpnum::api::dispatch::Dispatch = corpnum::api::dispatch::deactivate;

pub const FUNCTION: Function = Function::Deactivate;

/// Serves one API Gateway request.
pub async fn handler(services: &Services, event: GatewayEvent) -> GatewayResponse {
    corpnum::runtime::http::handle(FUNCTION, DISPATCH, services, event).await
}
