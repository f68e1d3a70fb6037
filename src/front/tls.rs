//! TLS material for the front listener: loading the configured certificate and
//! key (or generating a self-signed pair on first start), the rustls server
//! configuration (TLS 1.2 and 1.3 only, aws-lc-rs), reloading on SIGHUP, and the
//! client configuration of the local health probe (layer: front). It does no
//! I/O on sockets; `transport.rs` drives rustls.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, ServerConfig, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The certificate in use. New connections take the current `ServerConfig`;
/// `reload` swaps it without touching established connections.
pub struct Tls {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Arc<ServerConfig>>,
}

impl Tls {
    /// Loads the certificate and key; if both files are missing, generates a
    /// self-signed certificate for this host into those paths first.
    pub fn load_or_generate(cert_path: &Path, key_path: &Path) -> Result<Tls, String> {
        match (cert_path.exists(), key_path.exists()) {
            (false, false) => generate_self_signed(cert_path, key_path)?,
            (true, false) => {
                return Err(format!(
                    "TLS certificate {} exists but its private key {} is missing",
                    cert_path.display(),
                    key_path.display()
                ));
            }
            (false, true) => {
                return Err(format!(
                    "TLS private key {} exists but its certificate {} is missing",
                    key_path.display(),
                    cert_path.display()
                ));
            }
            (true, true) => {}
        }
        Ok(Tls {
            current: RwLock::new(server_config(cert_path, key_path)?),
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
        })
    }

    /// The configuration for a new connection.
    pub fn config(&self) -> Arc<ServerConfig> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Re-reads the files. On any error the old certificate stays in use.
    pub fn reload(&self) -> Result<(), String> {
        let fresh = server_config(&self.cert_path, &self.key_path)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    pub fn certificate_path(&self) -> &Path {
        &self.cert_path
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// TLS 1.3 and 1.2 (for older clients) only; HTTP/1.1 via ALPN.
pub fn server_config(cert_path: &Path, key_path: &Path) -> Result<Arc<ServerConfig>, String> {
    let certs = CertificateDer::pem_file_iter(cert_path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            format!(
                "cannot read TLS certificate {}: {}",
                cert_path.display(),
                pem_error(e)
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "cannot read TLS certificate {}: it holds no PEM certificate",
            cert_path.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| {
        format!(
            "cannot read TLS private key {}: {}",
            key_path.display(),
            pem_error(e)
        )
    })?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "TLS certificate {} and private key {} cannot be used together: {e}",
                cert_path.display(),
                key_path.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn pem_error(e: rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match e {
        Error::Io(e) => e.to_string(),
        Error::NoItemsFound => "no PEM item of the expected kind found".into(),
        other => format!("invalid PEM ({other:?})"),
    }
}

/// Writes a self-signed certificate for localhost, 127.0.0.1, ::1 and the host
/// name (certificate 0644, key 0600) and says where.
fn generate_self_signed(cert_path: &Path, key_path: &Path) -> Result<(), String> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if let Some(host) = host_name().filter(|h| !names.contains(h)) {
        names.push(host);
    }
    let generated = rcgen::generate_simple_self_signed(names.clone())
        .map_err(|e| format!("cannot generate a TLS certificate: {e}"))?;
    for path in [cert_path, key_path] {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    crate::config::write_private(key_path, &generated.signing_key.serialize_pem())?;
    std::fs::write(cert_path, generated.cert.pem())
        .map_err(|e| format!("cannot write {}: {e}", cert_path.display()))?;
    eprintln!(
        "generated a self-signed TLS certificate for {} into {} (key: {}); replace both files with your own and send SIGHUP (or restart) to use them",
        names.join(", "),
        cert_path.display(),
        key_path.display()
    );
    Ok(())
}

/// This machine's name, without a resolver (the static binary has no NSS).
fn host_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(gethostname)?;
    let name = name.trim().to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !name.starts_with(['-', '.']);
    valid.then_some(name)
}

fn gethostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates
    // within it or truncates, and we stop at the first NUL.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8(buf[..end].to_vec()).ok()
}

/// The client side of `miauinv healthcheck`: it talks to this very process on
/// a loopback address, so it accepts whatever certificate the server presents
/// (self-signed or issued for another name) while still checking that the
/// handshake is signed by that certificate's key. Never use it for anything else.
pub fn health_probe_config() -> Arc<ClientConfig> {
    let provider = provider();
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("the aws-lc-rs provider supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    Arc::new(config)
}

#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
