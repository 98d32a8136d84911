//! Content hashing and file stamps: real files, renames, edits, sparse files, and a file that
//! grows while it is being hashed.

use crate::support::clips::{make_clip, ClipSpec};
use std::error::Error;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};
use takeboard_core::hash::{hash_file, stamp, stamp_path, HashError};

type TestResult = Result<(), Box<dyn Error>>;

/// BLAKE3 of zero bytes, from the BLAKE3 test vectors.
const BLAKE3_OF_NOTHING: &str =
    "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

fn expected_hash(bytes: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(bytes).to_hex())
}

#[test]
fn an_empty_file_hashes_to_blake3_of_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("empty.mp4");
    File::create(&path)?;
    let hashed = hash_file(&path)?;
    assert_eq!(hashed.hash, BLAKE3_OF_NOTHING);
    assert_eq!(hashed.stamp.size, 0);
    Ok(())
}

#[test]
fn a_clip_hashes_to_the_tagged_blake3_of_its_bytes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = make_clip(dir.path(), "take.mp4", &ClipSpec::default());
    let bytes = fs::read(&clip)?;
    let hashed = hash_file(&clip)?;
    assert_eq!(hashed.hash, expected_hash(&bytes));
    assert_eq!(hashed.hash.len(), "blake3:".len() + 64);
    assert_eq!(hashed.stamp, stamp_path(&clip)?);
    assert_eq!(hashed.stamp.size, bytes.len() as u64);
    Ok(())
}

#[test]
fn a_renamed_file_keeps_its_hash_and_its_inode() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = make_clip(dir.path(), "take.mp4", &ClipSpec::default());
    let first = hash_file(&clip)?;
    let moved = dir.path().join("take (1).mp4");
    fs::rename(&clip, &moved)?;
    let second = hash_file(&moved)?;
    assert_eq!(second.hash, first.hash, "identity is content, not path");
    assert_eq!(second.stamp, first.stamp, "a rename changes no stamp field");
    Ok(())
}

#[test]
fn one_changed_byte_changes_the_hash() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = make_clip(dir.path(), "take.mp4", &ClipSpec::default());
    let mut bytes = fs::read(&clip)?;
    let original = hash_file(&clip)?;
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let edited = dir.path().join("edited.mp4");
    fs::write(&edited, &bytes)?;
    let changed = hash_file(&edited)?;
    assert_ne!(changed.hash, original.hash);
    assert_eq!(changed.hash, expected_hash(&bytes));
    Ok(())
}

#[test]
fn a_sparse_64_mib_file_hashes_like_its_bytes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sparse.mp4");
    let mut file = File::create(&path)?;
    file.write_all(b"head")?;
    file.set_len(64 << 20)?;
    drop(file);
    let mut tail = OpenOptions::new().append(true).open(&path)?;
    tail.write_all(b"tail")?;
    drop(tail);
    let hashed = hash_file(&path)?;
    assert_eq!(hashed.hash, expected_hash(&fs::read(&path)?));
    assert_eq!(hashed.stamp.size, (64 << 20) + 4);
    Ok(())
}

#[test]
fn the_stamp_reports_size_exact_mtime_and_inode() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("take.mp4");
    fs::write(&path, b"0123456789")?;
    let mtime = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
    File::options()
        .write(true)
        .open(&path)?
        .set_modified(mtime)?;
    let meta = fs::metadata(&path)?;
    let stamped = stamp(&meta);
    assert_eq!(stamped.size, 10);
    assert_eq!(stamped.mtime_ns, 1_700_000_000_123_456_789);
    #[cfg(unix)]
    assert_eq!(stamped.inode, std::os::unix::fs::MetadataExt::ino(&meta));
    assert_eq!(stamp_path(&path)?, stamped);

    OpenOptions::new()
        .append(true)
        .open(&path)?
        .write_all(b"!")?;
    assert_eq!(stamp_path(&path)?.size, 11, "a grown file has a new stamp");
    Ok(())
}

#[test]
fn a_file_replaced_by_a_rename_gets_a_new_inode_in_its_stamp() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("take.mp4");
    fs::write(&path, b"same bytes")?;
    let before = stamp_path(&path)?;
    let other = dir.path().join("other.part");
    fs::write(&other, b"same bytes")?;
    fs::rename(&other, &path)?;
    let after = stamp_path(&path)?;
    assert_eq!(after.size, before.size);
    #[cfg(unix)]
    assert_ne!(
        after.inode, before.inode,
        "a different file now has the name"
    );
    Ok(())
}

#[test]
fn a_missing_file_is_an_io_error_naming_the_path() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("gone.mp4");
    let err = hash_file(&path).expect_err("nothing to hash");
    assert!(matches!(err, HashError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("gone.mp4"), "{err}");
    Ok(())
}

#[test]
fn a_directory_is_not_a_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let folder = dir.path().join("x.mp4.download");
    fs::create_dir(&folder)?;
    let err = hash_file(&folder).expect_err("directories are not hashed");
    assert!(matches!(err, HashError::NotAFile { .. }), "{err:?}");
    Ok(())
}

/// The read position of this process's open handle on `path`, if it has one
/// (from `/proc/self/fdinfo`).
#[cfg(target_os = "linux")]
fn open_handle_position(path: &Path) -> Option<u64> {
    for entry in fs::read_dir("/proc/self/fd").ok()?.flatten() {
        if fs::read_link(entry.path()).ok().as_deref() != Some(path) {
            continue;
        }
        let fd = entry.file_name();
        let info = fs::read_to_string(Path::new("/proc/self/fdinfo").join(fd)).ok()?;
        return info
            .lines()
            .find_map(|line| line.strip_prefix("pos:"))
            .and_then(|pos| pos.trim().parse().ok());
    }
    None
}

/// Appends to a 1 GiB (sparse) file once the hasher's handle has read past the start, i.e.
/// after its first stat and long before it can finish.
#[cfg(target_os = "linux")]
#[test]
fn appending_while_hashing_is_detected_and_the_hash_dropped() -> TestResult {
    use std::time::Instant;

    let dir = tempfile::tempdir()?;
    let path = fs::canonicalize(dir.path())?.join("growing.mp4");
    File::create(&path)?.set_len(1 << 30)?;

    let hashing = {
        let path = path.clone();
        std::thread::spawn(move || hash_file(&path))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while open_handle_position(&path).is_none_or(|pos| pos == 0) {
        assert!(
            !hashing.is_finished(),
            "the hash finished before the append could happen"
        );
        assert!(Instant::now() < deadline, "hashing never started");
        std::thread::yield_now();
    }
    OpenOptions::new()
        .append(true)
        .open(&path)?
        .write_all(b"more bytes from the browser")?;

    let result = hashing.join().expect("hash thread does not panic");
    assert!(
        matches!(result, Err(HashError::ChangedWhileHashing { .. })),
        "{result:?}"
    );
    assert!(
        hash_file(&path).is_ok(),
        "once settled, the same file hashes fine"
    );
    Ok(())
}
