//! Where things live: data dirs and the operator's name, from flags, then the environment, then
//! the platform's conventions.

use std::path::{Path, PathBuf};

/// The live store: `--data`, else `$SWITCHBOARD_DATA`, else the platform data dir.
pub fn data_dir(flag: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(dir) = flag {
        return Ok(dir.to_owned());
    }
    if let Some(dir) = std::env::var_os("SWITCHBOARD_DATA").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    platform_data().map(|d| d.join("live"))
}

/// The demo store: `--data`, else a `demo` dir beside (never inside) the live store's default.
pub fn demo_dir(flag: Option<&Path>) -> Result<PathBuf, String> {
    match flag {
        Some(dir) => Ok(dir.to_owned()),
        None => platform_data().map(|d| d.join("demo")),
    }
}

fn platform_data() -> Result<PathBuf, String> {
    directories::ProjectDirs::from("org", "switchboard", "switchboard")
        .map(|p| p.data_dir().to_owned())
        .ok_or_else(|| "no home directory to keep data in; pass --data DIR".to_owned())
}

/// `--operator`, else `$SWITCHBOARD_OPERATOR`, else `$USER`.
pub fn operator(flag: Option<&str>) -> String {
    flag.map(str::to_owned)
        .or_else(|| std::env::var("SWITCHBOARD_OPERATOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|o| !o.trim().is_empty())
        .unwrap_or_else(|| "dispatcher".to_owned())
}
