//! The nntp negotiate check (ldirectord's `check_nntp`): the first bytes
//! the server sends must start with `2`.

use tokio::io::AsyncReadExt;

use super::io::{excerpt, Stream};
use super::outcome::{CheckError, CheckResult};
use super::spec::CheckSpec;

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec) -> CheckResult {
    let mut stream = Stream::connect(spec.target, false, None, spec.connect_timeout).await?;
    let mut buffer = [0u8; 64];
    let n = stream
        .read(&mut buffer)
        .await
        .map_err(CheckError::io("reading the greeting"))?;
    let greeting = String::from_utf8_lossy(buffer.get(..n).unwrap_or_default()).into_owned();
    if greeting.starts_with('2') {
        Ok(format!("greeting {:?}", excerpt(greeting.trim_end())))
    } else if n == 0 {
        Err(CheckError::Closed("before its greeting"))
    } else {
        Err(CheckError::Answer(format!(
            "greeting {:?}",
            excerpt(greeting.trim_end())
        )))
    }
}
