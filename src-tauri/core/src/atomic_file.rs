//! Writing a whole file atomically: a temp file in the same folder, synced, renamed over
//! the destination, the folder synced. A reader (or a crash) sees the old file or the new
//! one, never half of one; a symlink at the destination is replaced, never followed.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A file that could not be written; the destination is as it was.
#[derive(Debug, thiserror::Error)]
#[error("could not write {path}: {source}")]
pub struct WriteError {
    /// The file or folder involved.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

/// Writes `bytes` to `out` atomically (see the module docs).
pub fn write_atomically(out: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
    let temp = folder.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(error(out)(source));
    }
    if let Err(source) = std::fs::rename(&temp, out) {
        let _ = std::fs::remove_file(&temp);
        return Err(error(out)(source));
    }
    // Make the rename itself durable; folders cannot be opened for syncing on Windows.
    #[cfg(unix)]
    std::fs::File::open(&folder)
        .and_then(|dir| dir.sync_all())
        .map_err(error(&folder))?;
    Ok(())
}
