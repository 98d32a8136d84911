//! Where a saved Luma API key lives: one file in the user's config dir, readable only by
//! its owner.
//!
//! The key is kept out of the database on purpose: libraries get copied and shared, keys
//! must not travel with them, and a library path can be anywhere (a shared drive, a folder
//! another user can write), so the key never lives beside it. `LUMA_API_KEY` in the
//! environment wins over the saved key. The file is written to a fresh temp file (created
//! exclusively, 0600) and renamed into place, so an existing file's mode, a symlink planted
//! at the path or a crash mid-write can never leave the key readable by others or half
//! written.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The key file's name in the config dir.
const KEY_FILE: &str = "luma-api-key";

/// The user's saved key ([`KeyStore::user`]), if any.
pub fn user_saved_key() -> Option<String> {
    KeyStore::user()?.saved_key()
}

/// The saved-key file of one user (or of a test's temp dir).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStore {
    dir: PathBuf,
}

impl KeyStore {
    /// The user's store: `$XDG_CONFIG_HOME/takeboard/`, else `~/.config/takeboard/`.
    /// `None` when neither variable names an absolute folder.
    pub fn user() -> Option<KeyStore> {
        let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .and_then(absolute)
            .or_else(|| {
                std::env::var_os("HOME")
                    .and_then(absolute)
                    .map(|h| h.join(".config"))
            })?;
        Some(KeyStore::at(config.join("takeboard")))
    }

    /// A store in `dir` (created with mode 0700 on the first save).
    pub fn at(dir: impl Into<PathBuf>) -> KeyStore {
        KeyStore { dir: dir.into() }
    }

    /// The key file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    /// The saved key, if any (surrounding whitespace trimmed; an empty file is no key). A
    /// symlink at the key's path is not followed.
    pub fn saved_key(&self) -> Option<String> {
        let text = read_no_follow(&self.path())?;
        let key = text.trim();
        (!key.is_empty()).then(|| key.to_owned())
    }

    /// Saves `key`, owner-readable only, replacing whatever was at the path (a file of
    /// another mode, a symlink) without following it. An empty key removes the saved one.
    pub fn save_key(&self, key: &str) -> std::io::Result<()> {
        let key = key.trim();
        if key.is_empty() {
            return self.remove_key();
        }
        create_private_dir(&self.dir)?;
        let temp = self
            .dir
            .join(format!(".{KEY_FILE}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = (|| {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
            }
            let mut file = options.open(&temp)?;
            file.write_all(key.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temp, self.path())?;
            std::fs::File::open(&self.dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }

    /// Removes the saved key (nothing to do when there is none).
    pub fn remove_key(&self) -> std::io::Result<()> {
        match std::fs::remove_file(self.path()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// The file's text, or `None` when it is missing, unreadable, a symlink or not UTF-8.
fn read_no_follow(path: &Path) -> Option<String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let mut file = options.open(path).ok()?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text).ok()?;
    Some(text)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
