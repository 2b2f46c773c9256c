//! The SAM template and the code describe one system: routes, functions, scopes, table
//! keys, index, TTL attribute and environment variables must agree.

use std::collections::BTreeSet;
use std::path::PathBuf;

use corpnum::api::{Function, ROUTES};
use serde_yaml::Value;

fn template() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("template.yaml: {e}"))
}

fn resources(t: &Value) -> Vec<(String, Value)> {
    t["Resources"]
        .as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn functions(t: &Value) -> Vec<(String, Value)> {
    resources(t)
        .into_iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .collect()
}

fn binary(f: &Value) -> String {
    f["Metadata"]["BuildProperties"]["Binary"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_route_is_deployed_to_its_function_with_its_scopes_and_nothing_else() {
    let t = template();
    let mut deployed = BTreeSet::new();
    for (_, f) in functions(&t) {
        let Some(events) = f["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            if event["Type"] != "HttpApi" {
                continue;
            }
            let p = &event["Properties"];
            let method = p["Method"].as_str().unwrap_or_default().to_owned();
            let path = p["Path"].as_str().unwrap_or_default().to_owned();
            let mut scopes = strings(&p["Auth"]["AuthorizationScopes"]);
            scopes.sort();
            deployed.insert((method, path, binary(&f), scopes));
        }
    }
    let expected: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| {
            let mut scopes: Vec<String> =
                r.route.scopes().iter().map(|s| (*s).to_owned()).collect();
            scopes.sort();
            (
                r.method.to_owned(),
                r.path.to_owned(),
                r.function.name().to_owned(),
                scopes,
            )
        })
        .collect();
    assert_eq!(deployed, expected);
}

#[test]
fn every_function_crate_is_deployed_once() {
    let t = template();
    let deployed: BTreeSet<String> = functions(&t).iter().map(|(_, f)| binary(f)).collect();
    let crates: BTreeSet<String> =
        std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../functions"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
    assert_eq!(deployed, crates);
    let http: BTreeSet<String> = Function::ALL.iter().map(|f| f.name().to_owned()).collect();
    assert!(http.is_subset(&crates));
    for (name, f) in functions(&t) {
        let needs_secret = Function::ALL
            .iter()
            .any(|x| x.name() == binary(&f) && x.handles_codes());
        let has_secret = f["Properties"]["Environment"]["Variables"]["CORPNUM_OTP_SECRET_ARN"]
            .is_tagged()
            || !f["Properties"]["Environment"]["Variables"]["CORPNUM_OTP_SECRET_ARN"].is_null();
        assert_eq!(
            has_secret, needs_secret,
            "{name}: the code-hashing secret goes exactly to functions handling codes"
        );
    }
}

trait Tagged {
    fn is_tagged(&self) -> bool;
}
impl Tagged for Value {
    fn is_tagged(&self) -> bool {
        matches!(self, Value::Tagged(_))
    }
}

#[test]
fn table_keys_index_and_ttl_match_the_adapter() {
    let t = template();
    let table = &t["Resources"]["Table"]["Properties"];
    let keys: Vec<(String, String)> = table["KeySchema"]
        .as_sequence()
        .map(|k| {
            k.iter()
                .map(|e| {
                    (
                        e["AttributeName"].as_str().unwrap_or("").into(),
                        e["KeyType"].as_str().unwrap_or("").into(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            ("pk".to_owned(), "HASH".to_owned()),
            ("sk".to_owned(), "RANGE".to_owned())
        ]
    );
    let gsi = &table["GlobalSecondaryIndexes"][0];
    assert_eq!(
        gsi["IndexName"].as_str(),
        Some(corpnum::aws::dynamo::STATUS_INDEX)
    );
    assert_eq!(gsi["KeySchema"][0]["AttributeName"], "gsi1pk");
    assert_eq!(gsi["KeySchema"][1]["AttributeName"], "gsi1sk");
    assert_eq!(gsi["Projection"]["ProjectionType"], "ALL");
    let timers = &table["GlobalSecondaryIndexes"][1];
    assert_eq!(
        timers["IndexName"].as_str(),
        Some(corpnum::aws::dynamo::TIMER_INDEX)
    );
    assert_eq!(timers["KeySchema"][0]["AttributeName"], "gsi2pk");
    assert_eq!(timers["KeySchema"][1]["AttributeName"], "gsi2sk");
    assert_eq!(timers["Projection"]["ProjectionType"], "ALL");
    let by_org = &table["GlobalSecondaryIndexes"][2];
    assert_eq!(
        by_org["IndexName"].as_str(),
        Some(corpnum::aws::dynamo::ORG_INDEX)
    );
    assert_eq!(by_org["KeySchema"][0]["AttributeName"], "gsi3pk");
    assert_eq!(by_org["KeySchema"][1]["AttributeName"], "gsi3sk");
    assert_eq!(by_org["Projection"]["ProjectionType"], "ALL");
    assert_eq!(
        table["TimeToLiveSpecification"]["AttributeName"],
        "expires_at"
    );
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["DeletionProtectionEnabled"], true);
    let queue = &t["Resources"]["ReviewQueue"]["Properties"];
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"], 5);
    let worker_timeout = t["Resources"]["ReviewWorkerFunction"]["Properties"]["Timeout"]
        .as_u64()
        .unwrap_or(0);
    assert!(queue["VisibilityTimeout"].as_u64().unwrap_or(0) >= 6 * worker_timeout);
}

#[test]
fn environment_variables_are_the_ones_the_code_reads() {
    let t = template();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut collect = |vars: &Value| {
        if let Some(m) = vars.as_mapping() {
            names.extend(m.keys().filter_map(|k| k.as_str().map(str::to_owned)));
        }
    };
    collect(&t["Globals"]["Function"]["Environment"]["Variables"]);
    for (_, f) in functions(&t) {
        collect(&f["Properties"]["Environment"]["Variables"]);
    }
    for name in names.iter().filter(|n| n.starts_with("CORPNUM_")) {
        assert!(
            corpnum::aws::config::ENV_VARS.contains(&name.as_str()),
            "{name} is set but never read"
        );
    }
    for name in corpnum::aws::config::REQUIRED_ENV_VARS {
        assert!(
            names.contains(*name),
            "{name} is required but not set by the template"
        );
    }
    for endpoint in [
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_SNS",
        "AWS_ENDPOINT_URL_SQS",
    ] {
        assert!(
            names.contains(endpoint),
            "{endpoint}: data residency needs every endpoint configurable"
        );
    }
}

#[test]
fn the_dashboard_reads_exactly_the_metrics_the_code_emits() {
    let t = template();
    let body = match &t["Resources"]["Dashboard"]["Properties"]["DashboardBody"] {
        Value::Tagged(tagged) => tagged.value.as_str().unwrap_or_default().to_owned(),
        other => other.as_str().unwrap_or_default().to_owned(),
    };
    // Metric rows: ["namespace", "Name", ...]; "." repeats the row above's value.
    let mut on_dashboard = BTreeSet::new();
    let mut namespace = String::new();
    for row in body.split('[').skip(1) {
        let cells: Vec<String> = row
            .split(']')
            .next()
            .unwrap_or_default()
            .split(',')
            .map(|c| c.trim().trim_matches('"').to_owned())
            .collect();
        let (Some(first), Some(name)) = (cells.first(), cells.get(1)) else {
            continue;
        };
        if first != "." {
            namespace = first.clone();
        }
        if namespace == "corpnum-${Stage}" && !name.is_empty() && name != "." {
            on_dashboard.insert(name.clone());
        }
    }
    let emitted: BTreeSet<String> = corpnum::runtime::metrics::METRICS
        .iter()
        .map(|m| (*m).to_owned())
        .collect();
    assert_eq!(on_dashboard, emitted);
    let alarm = &t["Resources"]["SmsFailuresAlarm"]["Properties"]["MetricName"];
    assert!(emitted.contains(alarm.as_str().unwrap_or_default()));
}
