//! The broker's own connection to the cluster: where its credentials come from, the client
//! built from them at first use, and kube errors made into messages.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use super::{IssueError, KubernetesIssuer};

/// The broker's own connection: a stalled API server must fail the call (the caller gets a
/// 502, the reaper retries) rather than hold a credential request forever. kube sets no read
/// timeout by default (for watches and exec, which this issuer never uses).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the broker's own cluster credentials come from.
#[derive(Debug, Clone)]
pub(super) enum Access {
    /// `kube::Config::infer()`: in-cluster, else the default kubeconfig.
    Infer,
    /// A kubeconfig file and/or a context in it (`None` path: the default kubeconfig).
    Kubeconfig {
        path: Option<PathBuf>,
        context: Option<String>,
    },
}

/// A kube error for a message: the API's own status (code, reason, message), or the transport
/// failure with its causes ("error trying to connect: … Connection refused"). Neither ever
/// holds the token: requests carry it in a header, which kube's errors do not repeat.
pub(super) fn describe(e: &kube::Error) -> String {
    if let kube::Error::Api(s) = e {
        let reason = if s.reason.is_empty() {
            "Failure"
        } else {
            &s.reason
        };
        return format!("{} {reason}: {}", s.code, s.message);
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

pub(super) fn code_of(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

pub(super) fn fail(what: &str, e: &kube::Error) -> IssueError {
    IssueError(format!("kubernetes: {what}: {}", describe(e)))
}

impl KubernetesIssuer {
    /// The broker's client for the cluster, built at the first call that succeeds.
    pub(super) async fn client(&self) -> Result<kube::Client, IssueError> {
        self.client
            .get_or_try_init(|| async {
                let mut config = self.config().await?;
                config.connect_timeout = Some(CONNECT_TIMEOUT);
                config.read_timeout = Some(IO_TIMEOUT);
                config.write_timeout = Some(IO_TIMEOUT);
                // Time each response from its request, not from when a pooled connection
                // went idle.
                config.reset_reader_on_write = true;
                kube::Client::try_from(config).map_err(|e| {
                    IssueError(format!(
                        "kubernetes: cannot build the client: {}",
                        describe(&e)
                    ))
                })
            })
            .await
            .cloned()
    }

    async fn config(&self) -> Result<kube::Config, IssueError> {
        let err = |what: String| move |e: String| IssueError(format!("kubernetes: {what}: {e}"));
        match &self.access {
            Access::Infer => kube::Config::infer()
                .await
                .map_err(|e| e.to_string())
                .map_err(err("no cluster access (in-cluster or kubeconfig)".into())),
            Access::Kubeconfig { path, context } => {
                let options = KubeConfigOptions {
                    context: context.clone(),
                    ..KubeConfigOptions::default()
                };
                match path {
                    Some(p) => {
                        let what = format!("kubeconfig {}", p.display());
                        let kc = Kubeconfig::read_from(p)
                            .map_err(|e| e.to_string())
                            .map_err(err(what.clone()))?;
                        kube::Config::from_custom_kubeconfig(kc, &options)
                            .await
                            .map_err(|e| e.to_string())
                            .map_err(err(what))
                    }
                    None => kube::Config::from_kubeconfig(&options)
                        .await
                        .map_err(|e| e.to_string())
                        .map_err(err("the default kubeconfig".into())),
                }
            }
        }
    }
}
