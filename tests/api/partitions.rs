//! The partition table the deployed functions name (`SMITHY_CLIENT_SDK_CUSTOM_PARTITION`,
//! `infra/layers/sdk-partitions/partitions.json`, the `aws` partition alone) resolves every
//! endpoint the functions call exactly as the SDK's own table does, in every region of the
//! aws partition, with and without FIPS and dual stack. An SDK upgrade that changes the aws
//! partition's outputs (a new suffix, FIPS or dual stack support) fails here until the file
//! is brought up to date. The file's `regionRegex` is `^$`: a name the pattern does not match
//! falls back to the `aws` partition, its only one, so the pattern decides nothing, and the
//! comparison below holds that for every region and for names no table lists.
//!
//! Each service crate reads the variable once per process, so the test runs itself twice
//! as a child process, with and without the variable, and compares what the two printed.

use std::path::PathBuf;
use std::process::Command;

const CHILD: &str = "CORPNUM_PARTITIONS_CHILD";

fn table() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/layers/sdk-partitions/partitions.json")
}

/// The aws partition's regions in the SDK's own table (aws-sdk-* 1.136, every entry a
/// description only), its global pseudo-region, and names only the partition's pattern
/// matches. The shipped table lists no regions: an entry there would only override the
/// partition's outputs for that region, the SDK's entries override nothing, and reading 35
/// of them cost each service crate ~50 µs of init (docs/operations.md, "Session 15").
const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "aws-global",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-north-9",
    "ap-southeast-12",
    "mx-central-2",
];

/// The shipped table holds the aws partition alone, overriding nothing per region.
fn assert_the_aws_partition_alone() {
    let text = std::fs::read_to_string(table()).unwrap_or_else(|e| panic!("{e}"));
    let table: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let partitions = table["partitions"].as_array().cloned().unwrap_or_default();
    assert_eq!(partitions.len(), 1, "the aws partition alone");
    assert_eq!(partitions[0]["id"], "aws");
    assert_eq!(
        partitions[0]["regions"],
        serde_json::json!({}),
        "no per-region entries"
    );
    assert_eq!(
        partitions[0]["regionRegex"], "^$",
        "a pattern that decides nothing (every name falls back to aws) and compiles cheaply"
    );
}

/// One line per service, region and variant: the URL the SDK's resolver gives.
async fn resolved() -> Vec<String> {
    let mut lines = Vec::new();
    for &region in REGIONS {
        for (fips, dual) in [(false, false), (true, false), (false, true), (true, true)] {
            macro_rules! service {
                ($name:literal, $krate:ident, $extra:expr) => {{
                    use $krate::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
                    let builder = Params::builder()
                        .region(region)
                        .use_fips(fips)
                        .use_dual_stack(dual);
                    let params = ($extra)(builder).build().unwrap_or_else(|e| panic!("{e}"));
                    let url = match DefaultResolver::new().resolve_endpoint(&params).await {
                        Ok(endpoint) => endpoint.url().to_owned(),
                        Err(e) => format!("error: {e}"),
                    };
                    lines.push(format!("{} {region} fips={fips} dual={dual} {url}", $name));
                }};
            }
            service!("dynamodb", aws_sdk_dynamodb, |b| b);
            service!(
                "dynamodb(account)",
                aws_sdk_dynamodb,
                |b: aws_sdk_dynamodb::config::endpoint::ParamsBuilder| b.account_id("123456789012")
            );
            service!("sns", aws_sdk_sns, |b| b);
            service!("sqs", aws_sdk_sqs, |b| b);
            service!("secretsmanager", aws_sdk_secretsmanager, |b| b);
        }
    }
    lines
}

fn run_child(with_table: bool) -> Vec<String> {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let mut command = Command::new(exe);
    command
        .args([
            "partitions::the_shipped_table_resolves_as_the_sdks_own",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, "1")
        .env_remove(corpnum::aws::config::SDK_PARTITIONS);
    if with_table {
        command.env(corpnum::aws::config::SDK_PARTITIONS, table());
    }
    let out = command.output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // libtest may print its own "test … " before the first line.
        .filter_map(|l| l.split_once("endpoint: ").map(|(_, rest)| rest.to_owned()))
        .collect()
}

#[tokio::test]
async fn the_shipped_table_resolves_as_the_sdks_own() {
    if std::env::var_os(CHILD).is_some() {
        for line in resolved().await {
            println!("endpoint: {line}");
        }
        return;
    }
    assert_the_aws_partition_alone();
    let (ours, sdks) = (run_child(true), run_child(false));
    assert_eq!(ours.len(), REGIONS.len() * 4 * 5, "every line printed");
    assert!(sdks.iter().any(|l| l
        == "dynamodb eu-central-1 fips=false dual=false https://dynamodb.eu-central-1.amazonaws.com"));
    let differ: Vec<_> = ours.iter().zip(&sdks).filter(|(a, b)| a != b).collect();
    assert!(differ.is_empty(), "resolved differently: {differ:#?}");
    assert_eq!(ours, sdks);
}

/// A table the SDK cannot read stops a function at start-up with a clear error, not the
/// SDK's panic at the first client. The check reads the process's environment, so it runs
/// in a child process (this test again, with `CHECK` set), once per path.
#[test]
fn a_missing_table_is_a_start_up_error() {
    const CHECK: &str = "CORPNUM_PARTITIONS_CHECK";
    if std::env::var_os(CHECK).is_some() {
        match corpnum::aws::config::check_sdk_partitions() {
            Ok(()) => println!("check: ok"),
            Err(e) => println!("check: {e}"),
        }
        return;
    }
    let check = |table: PathBuf| {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
        let out = Command::new(exe)
            .args([
                "partitions::a_missing_table_is_a_start_up_error",
                "--exact",
                "--nocapture",
            ])
            .env(CHECK, "1")
            .env(corpnum::aws::config::SDK_PARTITIONS, table)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let missing = check(PathBuf::from("/nonexistent/partitions.json"));
    assert!(
        missing.contains(
            "check: invalid setting SMITHY_CLIENT_SDK_CUSTOM_PARTITION: no partition table at /nonexistent/partitions.json"
        ),
        "{missing}"
    );
    let shipped = check(table());
    assert!(shipped.contains("check: ok"), "{shipped}");
}
