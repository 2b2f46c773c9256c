//! The `check-status` function: GET /v1/applications/{id}, GET /v1/numbers/{phone}.
//! The rules live in the `corpnum` crate; this crate only names the function.

use corpnum::api::Function;
use corpnum::app::Services;
use corpnum::runtime::gateway::{GatewayEvent, GatewayResponse};

/// This function's routes: all it serves, and links.
pub const DISPATCH: corpnum::api::dispatch::Dispatch = corpnum::api::dispatch::check_status;

pub const FUNCTION: Function = Function::CheckStatus;

/// Serves one API Gateway request.
pub async fn handler(services: &Services, event: GatewayEvent) -> GatewayResponse {
    corpnum::runtime::http::handle(FUNCTION, DISPATCH, services, event).await
}
