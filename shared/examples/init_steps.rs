//! Prints how long each step of a function's init takes in this process (run it many
//! times: first-use costs are paid once per process). docs/operations.md, "Cold start".
use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let t0 = Instant::now();
    corpnum::runtime::telemetry::init();
    let t1 = Instant::now();
    let sdk = corpnum::aws::config::sdk_config().await;
    let t2 = Instant::now();
    let settings = corpnum::aws::config::Settings::load::<true>(&sdk).await;
    let t3 = Instant::now();
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let t4 = Instant::now();
    let sns = aws_sdk_sns::Client::new(&sdk);
    let t5 = Instant::now();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let t6 = Instant::now();
    drop((dynamodb, sns, sqs, settings));
    let us = |a: Instant, b: Instant| (b - a).as_micros();
    println!(
        "telemetry {} sdk_config {} settings {} dynamodb {} sns {} sqs {} (µs)",
        us(t0, t1),
        us(t1, t2),
        us(t2, t3),
        us(t3, t4),
        us(t4, t5),
        us(t5, t6)
    );
}
