//! Arguments as typed, made into the library's values; each error names the flag.

use crate::cli::TargetArg;
use crate::error::{Error, Result};
use crate::model::platform::Platform;
use crate::upstream::target::Target;

/// A version argument (`publish NAME VERSION`, `yank`), a leading `v` allowed.
pub(super) fn version(v: &str) -> Result<semver::Version> {
    semver::Version::parse(v.trim_start_matches('v'))
        .map_err(|e| Error::usage(format!("bad version {v:?}"), e.to_string()))
}

/// The password in the variable `--password-env` names.
pub(super) fn password_env(var: &str) -> Result<String> {
    std::env::var(var)
        .map_err(|_| Error::usage(format!("--password-env {var}"), "the variable is not set"))
}

/// `--target`, when given.
pub(super) fn target(t: &TargetArg) -> Result<Option<Target>> {
    t.target.as_deref().map(Target::parse).transpose()
}

/// `--platform P`, else this machine's.
pub(super) fn platform_or_host(p: Option<&str>) -> Result<Platform> {
    p.map(platform)
        .transpose()
        .map(|p| p.unwrap_or_else(Platform::host))
}

/// Every `--platform P` given.
pub(super) fn platforms(ps: &[String]) -> Result<Vec<Platform>> {
    ps.iter().map(|p| platform(p)).collect()
}

/// `--platform P`, its errors naming the flag.
fn platform(p: &str) -> Result<Platform> {
    Platform::parse(p).map_err(|e| Error::usage(format!("--platform {p}"), e.to_string()))
}
