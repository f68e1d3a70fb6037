//! The one HTTP client configuration for every request MiauInv makes to
//! another server (webhooks, ntfy, identity providers): 5 s to connect, 10 s
//! for the whole exchange, no redirects (a server that moved is a failure
//! the admin sees, never a request to a host nobody configured), rustls on
//! the aws-lc-rs provider, and answers of any status handed back to the
//! caller to judge.

use std::sync::Arc;
use std::time::Duration;

/// The agent, trusting the public web roots compiled in, or only the PEM
/// certificates in `private_roots` when some are given (a home lab's own CA).
pub fn agent(private_roots: &[u8]) -> Result<ureq::Agent, String> {
    let roots = if private_roots.is_empty() {
        ureq::tls::RootCerts::WebPki
    } else {
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(private_roots) {
            if let Ok(ureq::tls::PemItem::Certificate(c)) = item {
                certs.push(c);
            }
        }
        if certs.is_empty() {
            return Err("no certificate in the PEM file".into());
        }
        ureq::tls::RootCerts::new_with_certs(&certs)
    };
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .root_certs(roots)
        .build();
    Ok(ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_connect(Some(Duration::from_secs(5)))
        .timeout_global(Some(Duration::from_secs(10)))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("MiauInv/", env!("CARGO_PKG_VERSION")))
        .build()
        .into())
}
