//! A temp dir holding a store and an empty config dir, for tests that run the binary.
//! Each test module adds the ways it runs the binary in its own `impl Sandbox`.

use std::path::PathBuf;

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
}
