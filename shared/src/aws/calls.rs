//! A record of the AWS operations a process makes, by service and name, from an SDK
//! interceptor: the tests count the calls per request against SPEC 10's floor.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Every operation made through the clients it is attached to, oldest first.
#[derive(Debug, Clone, Default)]
pub struct CallRecorder {
    calls: Arc<Mutex<Vec<(String, String)>>>,
}

impl CallRecorder {
    fn calls(&self) -> std::sync::MutexGuard<'_, Vec<(String, String)>> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The operations recorded since the last `take`, as `Service.Operation`.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls())
            .into_iter()
            .map(|(service, operation)| format!("{service}.{operation}"))
            .collect()
    }
}

impl Intercept for CallRecorder {
    fn name(&self) -> &'static str {
        "CallRecorder"
    }

    /// Once per operation (not per attempt), once its configuration is in place.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_owned(), m.name().to_owned()))
            .unwrap_or_else(|| ("?".into(), "?".into()));
        self.calls().push((service, operation));
        Ok(())
    }
}
