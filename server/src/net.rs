//! The server's own HTTP client (the token issuer's keys, the Query-protocol queue): hyper
//! with rustls on aws-lc, the SDK's own stack, trusting the system's root certificates (the
//! container's CA bundle), with a 2-second connect timeout. Plain HTTP is allowed by the
//! connector; each caller decides where it may be used.

use std::time::Duration;

pub type HttpClient<B> = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    B,
>;

pub fn https_client<B>() -> Result<HttpClient<B>, String>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        tracing::warn!("no system root certificates: HTTPS calls of the server will fail");
    }
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut plain = hyper_util::client::legacy::connect::HttpConnector::new();
    plain.set_connect_timeout(Some(Duration::from_secs(2)));
    plain.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(plain);
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https),
    )
}
