//! An HTTP function's invocation: API Gateway's event in, through the framework-neutral
//! API, API Gateway's answer out. The same path serves the deployed functions and the
//! local host.

use super::gateway::{GatewayEvent, GatewayResponse};
use crate::api::{self, Function};
use crate::app::Services;

/// One HTTP function's handler, with the function's own dispatcher
/// (`corpnum::api::dispatch::<function>`): the request, then the invocation's metrics.
pub async fn handle(
    function: Function,
    dispatch: api::dispatch::Dispatch,
    services: &Services,
    event: GatewayEvent,
) -> GatewayResponse {
    let mut request = event.into_api_request();
    request.cold_start = super::invocation::cold_start();
    let response = api::handle_with(function, dispatch, services, request).await;
    super::metrics::flush(function.name());
    GatewayResponse::from_api(response)
}
