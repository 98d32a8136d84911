//! The download-safety gate: a file is looked at only once it has stopped changing.
//!
//! A file is ready when it is not empty (Firefox first writes a zero-byte placeholder
//! under the final name), its size, mtime and file id are the same as at the previous
//! look, and its mtime is at least one settle window old. Temporary names are excluded
//! earlier, by `identify::is_candidate_video`; after the gate, hashing re-checks the stamp.

use crate::hash::{stamp, FileStamp};
use std::collections::HashMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Whether a file may be indexed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Finished: index it.
    Ready,
    /// Still changing, or changed less than a settle window ago.
    NotYet,
    /// Empty: a browser's placeholder for a download in progress.
    Placeholder,
}

/// Remembers the last stamp seen per path, so a change between two looks holds a file back.
#[derive(Debug, Default)]
pub struct SettleGate {
    seen: HashMap<PathBuf, FileStamp>,
}

impl SettleGate {
    /// Decides whether `path` (with metadata `meta`) is finished at time `now`.
    pub fn check(
        &mut self,
        path: &Path,
        meta: &Metadata,
        settle: Duration,
        now: SystemTime,
    ) -> Readiness {
        let current = stamp(meta);
        if current.size == 0 {
            self.seen.insert(path.to_owned(), current);
            return Readiness::Placeholder;
        }
        let previous = self.seen.insert(path.to_owned(), current);
        if previous.is_some_and(|p| p != current) {
            return Readiness::NotYet;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        match now.duration_since(modified) {
            Ok(age) if age >= settle => Readiness::Ready,
            // Written within the window, or stamped in the future (clock skew): wait.
            _ => Readiness::NotYet,
        }
    }

    /// Forgets a path once it was indexed or vanished.
    pub fn forget(&mut self, path: &Path) {
        self.seen.remove(path);
    }
}
