//! A temp dir holding a store and an empty config dir, for tests that run the binary.
//! Each test module adds the ways it runs the binary in its own `impl Sandbox`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Sandbox {
    pub tmp: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(tmp.path().join("config")).expect("config dir");
        Sandbox { tmp }
    }

    pub fn data(&self) -> PathBuf {
        self.tmp.path().join("store")
    }

    pub fn config(&self) -> PathBuf {
        self.tmp.path().join("config")
    }

    /// The binary on `data` as `operator`, kept from the user's own store (a decoy default),
    /// config, log settings and colours; its output piped.
    pub fn command_as(&self, operator: &str, data: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        cmd.arg("--data")
            .arg(data)
            .args(args)
            .env("SWITCHBOARD_DATA", self.tmp.path().join("decoy"))
            .env("SWITCHBOARD_CONFIG", self.config())
            .env("SWITCHBOARD_OPERATOR", operator)
            .env_remove("SWITCHBOARD_LOG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }
}
