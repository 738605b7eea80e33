//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Set `DICTUM_BLESS=1` to rewrite golden files from the current output.
pub fn bless() -> bool {
    std::env::var_os("DICTUM_BLESS").is_some_and(|v| v != "0")
}

/// Compare `actual` with the golden file at `path` (or rewrite it when blessing).
/// Returns a description of the mismatch.
pub fn golden(path: &Path, actual: &str) -> Result<(), String> {
    if bless() {
        std::fs::write(path, actual).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(path)
        .map_err(|_| format!("{}: golden file missing; run with DICTUM_BLESS=1 to create it", path.display()))?;
    if expected == actual {
        Ok(())
    } else {
        Err(format!("{}: output differs from the golden file\n--- expected\n{expected}\n--- actual\n{actual}", path.display()))
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files in `dir` with extension `ext`, sorted.
pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

pub fn dictum_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dictum"))
}
