//! Content identity: streamed BLAKE3 of a whole file, re-checked against the file after hashing.
//!
//! Owns the file stamp (size, mtime, inode) that the ingest settle gate compares, and the
//! full-content hash that identifies a take. The file is read through a plain buffered loop,
//! never memory-mapped: a file in a download folder can be truncated under us, which turns a
//! mapping into garbage or SIGBUS. Whether and when to hash (the settle gate, retries) is
//! ingest's business.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Bytes read per call while hashing.
const READ_CHUNK: usize = 1 << 20;
/// Prefix naming the algorithm in a stored digest.
const ALGORITHM_TAG: &str = "blake3:";

/// What a file looked like at one `stat`: if any field differs between two stamps, the file
/// was written, truncated or replaced in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileStamp {
    /// Length in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch (negative before it).
    pub mtime_ns: i64,
    /// The file's id on its volume (inode on Unix; 0 where the platform gives none).
    pub inode: u64,
}

/// The stamp of a file from its metadata.
pub fn stamp(meta: &Metadata) -> FileStamp {
    FileStamp {
        size: meta.len(),
        mtime_ns: mtime_ns(meta),
        inode: inode(meta),
    }
}

/// The stamp of the file at `path` (following symlinks).
pub fn stamp_path(path: &Path) -> io::Result<FileStamp> {
    std::fs::metadata(path).map(|meta| stamp(&meta))
}

fn mtime_ns(meta: &Metadata) -> i64 {
    let Ok(modified) = meta.modified() else {
        return 0;
    };
    let nanos = match modified.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => -i128::try_from(before.duration().as_nanos()).unwrap_or(i128::MAX),
    };
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(unix)]
fn inode(meta: &Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &Metadata) -> u64 {
    // Windows' file index is not exposed by stable std; size and mtime still guard changes.
    0
}

/// A file's content hash and the stamp the file had both before and after hashing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedFile {
    /// `"blake3:"` followed by 64 lower-case hex digits.
    pub hash: String,
    /// The file's stamp, unchanged from start to end of the hash.
    pub stamp: FileStamp,
}

/// Why a file could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The file could not be opened, stat'ed or read.
    #[error("could not read {}: {source}", path.display())]
    Io {
        /// The file being hashed.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The path is a directory or another non-file.
    #[error("{} is not a regular file", path.display())]
    NotAFile {
        /// The path that was asked for.
        path: PathBuf,
    },
    /// The file was written, truncated or replaced while it was being read; the hash is
    /// discarded. Hash it again once it has settled.
    #[error("{} changed while it was being hashed (still being written?) — retry once it settles", path.display())]
    ChangedWhileHashing {
        /// The file being hashed.
        path: PathBuf,
    },
}

/// Hashes the whole file at `path` with BLAKE3, streaming it in 1 MiB reads, and checks that
/// the file at `path` is still the one read, unchanged, when the hash is done.
pub fn hash_file(path: &Path) -> Result<HashedFile, HashError> {
    let io_err = |source| HashError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(HashError::NotAFile {
            path: path.to_owned(),
        });
    }
    let before = stamp(&meta);
    let (hash, bytes_read) = hash_stream(&mut file).map_err(io_err)?;
    // Stat the path, not the handle: a file renamed over the path must count as a change.
    let after = stamp_path(path).map_err(io_err)?;
    if after != before || bytes_read != before.size {
        return Err(HashError::ChangedWhileHashing {
            path: path.to_owned(),
        });
    }
    Ok(HashedFile {
        hash,
        stamp: before,
    })
}

/// The tagged BLAKE3 digest of everything `reader` yields, and how many bytes that was.
fn hash_stream(reader: &mut impl Read) -> io::Result<(String, u64)> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; READ_CHUNK];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((
        format!("{ALGORITHM_TAG}{}", hasher.finalize().to_hex()),
        total,
    ))
}
