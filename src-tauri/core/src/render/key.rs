//! Where a saved Luma API key lives: a file beside the library, readable only by its owner.
//!
//! The key is kept out of the database on purpose: libraries get copied and shared, keys
//! must not travel with them. `LUMA_API_KEY` in the environment wins over the saved key.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The key file for the library at `library` (`<library dir>/luma-api-key`).
pub fn key_path(library: &Path) -> PathBuf {
    library
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("luma-api-key")
}

/// The saved key, if any (surrounding whitespace trimmed; an empty file is no key).
pub fn saved_key(library: &Path) -> Option<String> {
    let text = std::fs::read_to_string(key_path(library)).ok()?;
    let key = text.trim();
    (!key.is_empty()).then(|| key.to_owned())
}

/// Saves `key` (or removes the saved key when `key` is empty), owner-readable only.
pub fn save_key(library: &Path, key: &str) -> std::io::Result<()> {
    let path = key_path(library);
    let key = key.trim();
    if key.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    file.write_all(key.as_bytes())?;
    file.sync_all()
}
