//! A record of the AWS operations a process makes, from an SDK interceptor: by service and
//! name (the tests count the calls per request against SPEC 10's floor), and each with
//! what matters for AWS-compatible services (issue 12's allow-list: transaction size,
//! expression functions, tokens, indexes, consistency, projections, SNS targets).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// One operation as a compatible service would see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallShape {
    /// `Service.Operation`, as `DynamoDB.TransactWriteItems`.
    pub operation: String,
    /// Actions in a transaction.
    pub actions: Option<usize>,
    /// Functions used in condition, update, key and filter expressions.
    pub functions: BTreeSet<String>,
    /// Some item asks for the old item back with a failed condition.
    pub returns_item_on_condition_failure: bool,
    pub client_request_token: bool,
    pub index: Option<String>,
    pub consistent_read: bool,
    /// A read asks for some attributes only (`ProjectionExpression`).
    pub projection: bool,
    /// An SNS publish's target: `topic` or `phone`.
    pub target: Option<&'static str>,
}

/// The functions an expression calls: every name directly followed by `(`.
pub fn expression_functions(expression: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut name = String::new();
    for c in expression.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            name.push(c);
            continue;
        }
        if c == '(' && !name.is_empty() && !name.starts_with(|d: char| d.is_ascii_digit()) {
            found.insert(std::mem::take(&mut name));
        }
        name.clear();
    }
    found
}

fn functions<'a>(expressions: impl IntoIterator<Item = Option<&'a str>>) -> BTreeSet<String> {
    expressions
        .into_iter()
        .flatten()
        .flat_map(expression_functions)
        .collect()
}

/// What matters of `input` for compatibility, for the operations corpnum makes.
fn shape(
    operation: String,
    input: &aws_smithy_runtime_api::client::interceptors::context::Input,
) -> CallShape {
    use aws_sdk_dynamodb::operation as ddb;
    use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure as Returns;
    let mut shape = CallShape {
        operation,
        ..CallShape::default()
    };
    let returns = |r: Option<&Returns>| matches!(r, Some(Returns::AllOld));
    if let Some(i) = input.downcast_ref::<ddb::transact_write_items::TransactWriteItemsInput>() {
        let items = i.transact_items();
        shape.actions = Some(items.len());
        shape.client_request_token = i.client_request_token().is_some();
        for item in items {
            if let Some(p) = item.put() {
                shape
                    .functions
                    .extend(functions([p.condition_expression()]));
                shape.returns_item_on_condition_failure |=
                    returns(p.return_values_on_condition_check_failure());
            }
            if let Some(u) = item.update() {
                shape.functions.extend(functions([
                    u.condition_expression(),
                    Some(u.update_expression()),
                ]));
                shape.returns_item_on_condition_failure |=
                    returns(u.return_values_on_condition_check_failure());
            }
            if let Some(d) = item.delete() {
                shape
                    .functions
                    .extend(functions([d.condition_expression()]));
                shape.returns_item_on_condition_failure |=
                    returns(d.return_values_on_condition_check_failure());
            }
            if let Some(c) = item.condition_check() {
                shape
                    .functions
                    .extend(functions([Some(c.condition_expression())]));
                shape.returns_item_on_condition_failure |=
                    returns(c.return_values_on_condition_check_failure());
            }
        }
    } else if let Some(i) = input.downcast_ref::<ddb::put_item::PutItemInput>() {
        shape.functions = functions([i.condition_expression()]);
        shape.returns_item_on_condition_failure =
            returns(i.return_values_on_condition_check_failure());
    } else if let Some(i) = input.downcast_ref::<ddb::update_item::UpdateItemInput>() {
        shape.functions = functions([i.condition_expression(), i.update_expression()]);
        shape.returns_item_on_condition_failure =
            returns(i.return_values_on_condition_check_failure());
    } else if let Some(i) = input.downcast_ref::<ddb::delete_item::DeleteItemInput>() {
        shape.functions = functions([i.condition_expression()]);
    } else if let Some(i) = input.downcast_ref::<ddb::get_item::GetItemInput>() {
        shape.consistent_read = i.consistent_read() == Some(true);
        shape.projection = i.projection_expression().is_some();
    } else if let Some(i) = input.downcast_ref::<ddb::query::QueryInput>() {
        shape.functions = functions([i.key_condition_expression(), i.filter_expression()]);
        shape.index = i.index_name().map(str::to_owned);
        shape.consistent_read = i.consistent_read() == Some(true);
        shape.projection = i.projection_expression().is_some();
    } else if let Some(i) = input.downcast_ref::<aws_sdk_sns::operation::publish::PublishInput>() {
        shape.target = match (i.topic_arn(), i.phone_number()) {
            (Some(_), _) => Some("topic"),
            (None, Some(_)) => Some("phone"),
            _ => None,
        };
    }
    shape
}

/// Every operation made through the clients it is attached to, oldest first.
#[derive(Debug, Clone, Default)]
pub struct CallRecorder {
    calls: Arc<Mutex<Vec<CallShape>>>,
    /// Every shape seen, never taken: the whole run's record.
    seen: Arc<Mutex<BTreeSet<CallShape>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl CallRecorder {
    /// The operations recorded since the last `take`, as `Service.Operation`.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.calls))
            .into_iter()
            .map(|shape| shape.operation)
            .collect()
    }

    /// Every distinct shape recorded so far, `take` or not.
    pub fn shapes(&self) -> BTreeSet<CallShape> {
        lock(&self.seen).clone()
    }
}

impl Intercept for CallRecorder {
    fn name(&self) -> &'static str {
        "CallRecorder"
    }

    /// Once per operation (not per attempt), once its configuration is in place.
    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(|m| format!("{}.{}", m.service(), m.name()))
            .unwrap_or_else(|| "?.?".into());
        let shape = shape(operation, context.input());
        lock(&self.seen).insert(shape.clone());
        lock(&self.calls).push(shape);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_are_the_names_called() {
        let found = expression_functions(
            "attribute_not_exists(pk) OR #state = :deactivated OR (#state = :p AND size(x) < :n)",
        );
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            ["attribute_not_exists", "size"]
        );
        assert_eq!(
            expression_functions(
                "SET a = if_not_exists(version, :zero), b = list_append(b, :l) ADD n :one"
            )
            .into_iter()
            .collect::<Vec<_>>(),
            ["if_not_exists", "list_append"]
        );
        assert!(expression_functions("revision = :expected AND (a < :b)").is_empty());
    }
}
