//! Who is sending: the per-process owner of the render requests it claimed, proved alive by
//! an OS file lock that the kernel releases when the process dies.
//!
//! A sending process holds an exclusive lock on `<library>.senders/<token>.lock` for as
//! long as its [`SendOwner`] lives, and writes `token`, pid and host on every row it
//! claims. Another process may turn such a row `unknown` only when [`owner_is_gone`]
//! proves the owner dead: its lock file is absent or can be locked. A live owner, a lock
//! that cannot be checked, or an owner on another host is never declared gone. File locks
//! (not pids) so that pid reuse and pid namespaces (sandboxes, containers sharing a
//! library) cannot make a live sender look dead. On a studio library the outbox lease
//! (one sending session for the whole studio) replaces the lock files: there a claim is
//! alive exactly when it is one of this process's live owners ([`is_live_here`]).

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The tokens of this process's live owners. On a studio library the outbox lease proves
/// that no other process sends, so a claim is alive exactly when its token is here.
static LIVE_HERE: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// The owner of the sends of one process (one per [`super::Outbox`]).
#[derive(Debug)]
pub struct SendOwner {
    token: String,
    pid: u32,
    host: String,
    /// On a library file: the lock file, held locked for the owner's whole life (the
    /// kernel unlocks it if the process dies). None on a studio library (the lease).
    lock: Option<(PathBuf, File)>,
}

impl SendOwner {
    /// Creates a new owner for `library`: a fresh token and its lock, held from now on.
    /// Lock files left by dead owners are removed on the way.
    pub fn acquire(library: &Path) -> std::io::Result<SendOwner> {
        let dir = senders_dir(library);
        std::fs::create_dir_all(&dir)?;
        sweep_dead(&dir);
        loop {
            let token = uuid::Uuid::new_v4().to_string();
            let lock_path = dir.join(format!("{token}.lock"));
            let lock = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock_path)?;
            lock.lock()?;
            // Another process's sweep may have removed the file between its creation and
            // our lock; a lock on an unlinked file proves nothing, so start again.
            if !is_at(&lock, &lock_path) {
                continue;
            }
            return Ok(SendOwner::new(token, Some((lock_path, lock))));
        }
    }

    /// An owner on a studio library, whose session holds the outbox lease.
    pub fn for_studio() -> SendOwner {
        SendOwner::new(uuid::Uuid::new_v4().to_string(), None)
    }

    fn new(token: String, lock: Option<(PathBuf, File)>) -> SendOwner {
        LIVE_HERE
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone());
        SendOwner {
            token,
            pid: std::process::id(),
            host: host_name(),
            lock,
        }
    }

    /// The token written on claimed rows.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// This process's id (shown to the user, not used as proof).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// This machine's name.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl Drop for SendOwner {
    fn drop(&mut self) {
        LIVE_HERE
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.token);
        // Every send of this owner has ended (sends are synchronous), so nothing refers to
        // the lock any more. Removed while still locked; the lock goes with the handle.
        if let Some((path, _)) = &self.lock {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Whether `token` is a live owner of this process: on a studio library, whose lease
/// holder is the only sender, the whole answer to whether a claim is alive.
pub fn is_live_here(token: Option<&str>) -> OwnerLiveness {
    let live = token.is_some_and(|t| {
        LIVE_HERE
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(t)
    });
    if live {
        OwnerLiveness::Alive
    } else {
        OwnerLiveness::Gone
    }
}

/// Whether `path` still names the open `file`.
fn is_at(file: &File, path: &Path) -> bool {
    let (Ok(open), Ok(named)) = (file.metadata(), std::fs::metadata(path)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        open.dev() == named.dev() && open.ino() == named.ino()
    }
    #[cfg(not(unix))]
    {
        open.len() == named.len()
    }
}

/// Where the lock files of a library's senders live: beside the library, never in a
/// watched folder.
fn senders_dir(library: &Path) -> PathBuf {
    let mut name = library.file_name().unwrap_or_default().to_owned();
    name.push(".senders");
    library.with_file_name(name)
}

/// This machine's name, as the kernel knows it.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Whether a token can be one this module made (a UUID): anything else never named a lock.
fn is_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 64
        && token.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// What is known of a claimed row's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerLiveness {
    /// Provably dead (or never recorded): the row's send was interrupted.
    Gone,
    /// Alive, or not provably dead: leave the row alone.
    Alive,
}

/// Whether the owner `token` (written by `host`) of a row of `library` is provably gone.
/// A row without a token was claimed before owners were recorded: gone.
pub fn owner_is_gone(library: &Path, token: Option<&str>, host: Option<&str>) -> OwnerLiveness {
    let Some(token) = token else {
        return OwnerLiveness::Gone;
    };
    if !is_token(token) {
        return OwnerLiveness::Gone;
    }
    if host.is_some_and(|h| h != host_name()) {
        // Its lock lives on another machine's kernel: nothing here can prove it dead.
        return OwnerLiveness::Alive;
    }
    let path = senders_dir(library).join(format!("{token}.lock"));
    let file = match OpenOptions::new().write(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return OwnerLiveness::Gone,
        Err(_) => return OwnerLiveness::Alive,
    };
    match file.try_lock() {
        Ok(()) => {
            // Nobody holds it: its owner died. Tidy up while holding it.
            let _ = std::fs::remove_file(&path);
            OwnerLiveness::Gone
        }
        Err(TryLockError::WouldBlock) => OwnerLiveness::Alive,
        Err(TryLockError::Error(_)) => OwnerLiveness::Alive,
    }
}

/// Removes the lock files of dead owners (those nobody holds).
fn sweep_dead(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "lock") {
            if let Ok(file) = OpenOptions::new().write(true).open(&path) {
                if file.try_lock().is_ok() {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_is_alive_while_it_lives_and_gone_once_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("library.db");
        let owner = SendOwner::acquire(&library).unwrap();
        let (token, host) = (owner.token().to_owned(), owner.host().to_owned());
        assert_eq!(
            owner_is_gone(&library, Some(&token), Some(&host)),
            OwnerLiveness::Alive,
            "another open of the lock conflicts, even in the same process"
        );
        drop(owner);
        assert_eq!(
            owner_is_gone(&library, Some(&token), Some(&host)),
            OwnerLiveness::Gone
        );
    }

    #[test]
    fn a_lock_left_by_a_dead_process_is_gone_and_another_host_is_never_judged() {
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("library.db");
        std::fs::create_dir_all(senders_dir(&library)).unwrap();
        let token = "0b66f2a1-9c3d-4e5f-8a7b-000000000001";
        File::create(senders_dir(&library).join(format!("{token}.lock"))).unwrap();
        assert_eq!(
            owner_is_gone(&library, Some(token), Some("another-laptop")),
            OwnerLiveness::Alive
        );
        assert_eq!(
            owner_is_gone(&library, Some(token), None),
            OwnerLiveness::Gone
        );
        assert_eq!(owner_is_gone(&library, None, None), OwnerLiveness::Gone);
        assert_eq!(
            owner_is_gone(&library, Some("../../etc/passwd"), None),
            OwnerLiveness::Gone,
            "a token this module never made names no lock"
        );
    }
}
