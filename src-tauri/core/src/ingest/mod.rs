//! Ingest: turns finished video files in watched folders into takes in shots.
//!
//! Owns the download-safety gate (`gate`), the full reconcile of a folder against the
//! catalog (`reconcile_folder`) and the watcher loop (`watch`). Filesystem events are only
//! hints: every row written here comes from a fresh `stat`, a full-content hash and a probe.
//! Ingest never moves, renames, locks or deletes anything in a watched folder, and never
//! undoes what the user did by hand (a moved take stays in its shot, a renamed shot keeps
//! its name).

mod gate;
mod watch;

pub use gate::{Readiness, SettleGate};
pub use watch::{watch, LookAgain, WatchHandle};

use crate::catalog::requests::link_result;
use crate::catalog::shots::{
    ensure_shot_for_prompt, reserve_codes, reserved_codes, shot_for_file_code, unsorted_shot,
    FileCodeShot,
};
use crate::catalog::takes::{
    file_by_path, file_by_stamp, files_in_folder, insert_take, put_file, refresh_take, remove_file,
    take_id_by_hash,
};
use crate::catalog::{log_event, Catalog, CatalogError, TakeRecord, WatchedFolder};
use crate::domain::{EventKind, FileFacts, ProjectId, ShotId, TakeId};
use crate::hash::{hash_file, HashError};
use crate::identify::{identify, shot_name_from_prompt, Identity, NameParser, NamingConfig};
use crate::probe::{probe_file, ProbeError};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::catalog::lock_shared as lock;
pub use crate::catalog::SharedCatalog;

/// How ingest behaves.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// How long a file's size, mtime and file id must hold still before it is indexed.
    pub settle: Duration,
    /// How long a file that looks unfinished (no movie header yet) is waited for before it
    /// is indexed with its error.
    pub churn_limit: Duration,
    /// How often the watcher runs a full reconcile even without lost-event flags.
    pub reconcile_every: Duration,
    /// File-name conventions (the compiled shot-code pattern).
    pub names: NameParser,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            settle: Duration::from_secs(2),
            churn_limit: Duration::from_secs(60),
            reconcile_every: Duration::from_secs(60),
            names: NamingConfig::default()
                .compile()
                .expect("the built-in shot-code pattern compiles"),
        }
    }
}

/// Errors that stop an ingest run (per-file problems are reported, not raised).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The watched folder is missing or not a folder.
    #[error("the watched folder {0} does not exist or is not a folder")]
    FolderMissing(PathBuf),
    /// The folder could not be listed.
    #[error("cannot read the folder {path}: {source}")]
    ReadDir {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The filesystem watcher could not start.
    #[error("cannot watch {path}: {detail}")]
    Watch {
        /// The folder.
        path: PathBuf,
        /// What notify said.
        detail: String,
    },
}

/// What happened to a take, as reported live (and one JSON line each by `watch`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum IngestEvent {
    /// A new take was indexed.
    Added {
        /// Take id.
        take: TakeId,
        /// Its shot's id.
        shot_id: ShotId,
        /// Shot code.
        shot: String,
        /// Its file.
        path: PathBuf,
    },
    /// A known take got a new path or new facts.
    Changed {
        /// Take id.
        take: TakeId,
        /// Its shot's id.
        shot_id: ShotId,
        /// Shot code.
        shot: String,
        /// Its file.
        path: PathBuf,
    },
    /// The take's last file disappeared.
    Missing {
        /// Take id.
        take: TakeId,
        /// Its shot's id.
        shot_id: ShotId,
        /// Shot code.
        shot: String,
        /// The path it was last seen at.
        path: PathBuf,
    },
    /// A missing take's content reappeared (same take, same decisions).
    Restored {
        /// Take id.
        take: TakeId,
        /// Its shot's id.
        shot_id: ShotId,
        /// Shot code.
        shot: String,
        /// Its file.
        path: PathBuf,
    },
}

/// A file ingest did not index, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileNote {
    /// The file. Serialized lossily (U+FFFD for bytes that are not UTF-8), since a name
    /// that is not UTF-8 is one of the reasons a file is passed over.
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

fn lossy_path<S: serde::Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

/// The result of reconciling folders with the catalog.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    /// New takes.
    pub added: usize,
    /// Missing takes that came back.
    pub restored: usize,
    /// Known takes with a new path or new facts.
    pub changed: usize,
    /// Files already indexed and untouched.
    pub unchanged: usize,
    /// Takes whose last file disappeared.
    pub missing: usize,
    /// Takes recorded with an error (unreadable, corrupt, not a video).
    pub errors: Vec<FileNote>,
    /// Files passed over (symlinks, pipes, names that are not UTF-8, ...) and watched
    /// folders that are not there.
    pub skipped: Vec<FileNote>,
    /// Files still being written: indexed once they settle.
    pub pending: Vec<PathBuf>,
    /// Every take event, in order.
    pub events: Vec<IngestEvent>,
}

impl ScanReport {
    fn record(&mut self, event: IngestEvent) {
        match event {
            IngestEvent::Added { .. } => self.added += 1,
            IngestEvent::Changed { .. } => self.changed += 1,
            IngestEvent::Missing { .. } => self.missing += 1,
            IngestEvent::Restored { .. } => self.restored += 1,
        }
        self.events.push(event);
    }

    fn displaced(&mut self, note: FileNote, events: Vec<IngestEvent>) {
        self.skipped.push(note);
        for e in events {
            self.record(e);
        }
    }

    fn merge(&mut self, other: ScanReport) {
        self.unchanged += other.unchanged;
        self.errors.extend(other.errors);
        self.skipped.extend(other.skipped);
        self.pending.extend(other.pending);
        for e in other.events {
            self.record(e);
        }
    }
}

/// Canonicalizes a folder the user named, checking it is a directory.
pub fn canonical_folder(path: &Path) -> Result<PathBuf, IngestError> {
    let canon =
        std::fs::canonicalize(path).map_err(|_| IngestError::FolderMissing(path.to_owned()))?;
    if !canon.is_dir() {
        return Err(IngestError::FolderMissing(path.to_owned()));
    }
    Ok(canon)
}

/// Adds `folder` to a project and returns the project id. The project is the one named,
/// else the library's only project, else a new one named after the folder.
pub fn attach_folder(
    cat: &mut Catalog,
    project: Option<&str>,
    folder: &Path,
) -> Result<ProjectId, IngestError> {
    let canon = canonical_folder(folder)?;
    let name = match project {
        Some(n) => n.to_owned(),
        None => match crate::catalog::projects::projects(cat.conn())?.as_slice() {
            [only] => only.name.clone(),
            _ => canon
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "Default".into()),
        },
    };
    let library = cat.path().to_owned();
    Ok(cat.write(|tx| -> Result<ProjectId, CatalogError> {
        let p = crate::catalog::projects::ensure_project(tx, &name)?;
        crate::catalog::projects::add_folder(tx, p.id, &canon, &library)?;
        Ok(p.id)
    })?)
}

/// What the caller already knows of a path's file row.
#[derive(Clone, Copy)]
enum Known<'a> {
    /// Looked up in a preloaded folder listing (`None`: no row).
    Looked(Option<&'a crate::catalog::FileRow>),
    /// Not looked up yet.
    Unknown,
}

/// A finished file, hashed, probed and identified, ready to be written.
struct Examined {
    rec: TakeRecord,
    identity: Identity,
    /// The path this same file (same inode, size, mtime) had before a rename.
    renamed_from: Option<PathBuf>,
    /// The problem to report (unreadable, not a video, damaged).
    note: Option<FileNote>,
}

/// How many examined files are written per transaction during a scan: each commit is an
/// fsync (`synchronous=FULL`), so a cold index of thousands of files commits in batches.
const WRITE_BATCH: usize = 64;

/// Examined files waiting to be written, and the report they go into.
struct Pending<'a> {
    cat: &'a SharedCatalog,
    folder: &'a WatchedFolder,
    batch: Vec<Examined>,
}

impl Pending<'_> {
    fn push(
        &mut self,
        ex: Examined,
        report: &mut ScanReport,
        gate: &mut SettleGate,
    ) -> Result<(), IngestError> {
        self.batch.push(ex);
        if self.batch.len() >= WRITE_BATCH {
            self.flush(report, gate)?;
        }
        Ok(())
    }

    fn flush(&mut self, report: &mut ScanReport, gate: &mut SettleGate) -> Result<(), IngestError> {
        let batch = std::mem::take(&mut self.batch);
        for e in record_batch(self.cat, self.folder, &batch)? {
            report.record(e);
        }
        for ex in batch {
            gate.forget(&ex.rec.file.path);
            report.errors.extend(ex.note);
        }
        Ok(())
    }
}

/// The outcome of looking at one path.
enum PathOutcome {
    Examined(Box<Examined>),
    Unchanged,
    Pending,
    Skipped(FileNote),
    /// Something that is not read (a symlink, a FIFO) took a known file's place: that
    /// file's row is gone, with these events.
    Displaced(FileNote, Vec<IngestEvent>),
    Ignored,
    Gone,
}

/// Reconciles every watched folder of a project with the disk; waits for files that are
/// still being written up to `wait_pending` (zero: report them as pending). A watched
/// folder that is not there (an unplugged drive) is listed in `skipped` and its takes are
/// left as they are; the other folders are still scanned.
pub fn reconcile_project(
    cat: &SharedCatalog,
    project_id: ProjectId,
    cfg: &IngestConfig,
    wait_pending: Duration,
) -> Result<ScanReport, IngestError> {
    let folders = crate::catalog::projects::folders(lock(cat).conn(), project_id)?;
    // Every folder's codes first: a prompt group in one folder must not take a code that a
    // file in another uses.
    for folder in &folders {
        if let Ok(paths) = listed_paths(folder) {
            reserve_file_codes(cat, folder, &paths, &cfg.names)?;
        }
    }
    let mut report = ScanReport::default();
    for folder in &folders {
        match reconcile_folder(cat, folder, cfg, &mut SettleGate::default()) {
            Err(e @ IngestError::FolderMissing(_)) => report.skipped.push(FileNote {
                path: folder.path.clone(),
                reason: format!("{e}; its takes are kept as they were until it is back"),
            }),
            scanned => report.merge(scanned?),
        }
    }
    let deadline = std::time::Instant::now() + wait_pending;
    let mut gate = SettleGate::default();
    while !report.pending.is_empty() && std::time::Instant::now() < deadline {
        // Never a busy loop, even with a zero settle window.
        std::thread::sleep(
            cfg.settle
                .clamp(Duration::from_millis(10), Duration::from_millis(100)),
        );
        let pending = std::mem::take(&mut report.pending);
        for path in pending {
            let Some(folder) = folders.iter().find(|f| path.starts_with(&f.path)) else {
                continue;
            };
            match ingest_path(cat, folder, &path, Known::Unknown, cfg, &mut gate)? {
                PathOutcome::Examined(ex) => {
                    let mut one = Pending {
                        cat,
                        folder,
                        batch: vec![*ex],
                    };
                    one.flush(&mut report, &mut gate)?;
                }
                PathOutcome::Pending => report.pending.push(path),
                PathOutcome::Skipped(n) => report.skipped.push(n),
                PathOutcome::Displaced(n, events) => report.displaced(n, events),
                PathOutcome::Unchanged | PathOutcome::Ignored | PathOutcome::Gone => {}
            }
        }
    }
    Ok(report)
}

/// Compares one folder with the catalog: indexes new and changed files that are finished,
/// records moves, and marks takes whose files are gone as missing.
pub fn reconcile_folder(
    cat: &SharedCatalog,
    folder: &WatchedFolder,
    cfg: &IngestConfig,
    gate: &mut SettleGate,
) -> Result<ScanReport, IngestError> {
    let mut report = ScanReport::default();
    if !folder.path.is_dir() {
        return Err(IngestError::FolderMissing(folder.path.clone()));
    }
    let paths = listed_paths(folder)?;
    reserve_file_codes(cat, folder, &paths, &cfg.names)?;
    let known: std::collections::HashMap<PathBuf, crate::catalog::FileRow> =
        files_in_folder(lock(cat).conn(), folder.id)?
            .into_iter()
            .map(|f| (f.path.clone(), f))
            .collect();
    let mut writes = Pending {
        cat,
        folder,
        batch: Vec::new(),
    };
    for path in paths {
        let row = Known::Looked(known.get(&path));
        match ingest_path(cat, folder, &path, row, cfg, gate)? {
            PathOutcome::Examined(ex) => writes.push(*ex, &mut report, gate)?,
            PathOutcome::Unchanged => report.unchanged += 1,
            PathOutcome::Pending => report.pending.push(path),
            PathOutcome::Skipped(note) => report.skipped.push(note),
            PathOutcome::Displaced(note, events) => report.displaced(note, events),
            PathOutcome::Ignored | PathOutcome::Gone => {}
        }
    }
    writes.flush(&mut report, gate)?;
    // Files that are no longer there (looked at after additions, so renames were matched).
    let known = files_in_folder(lock(cat).conn(), folder.id)?;
    for file in known {
        if std::fs::symlink_metadata(&file.path).is_err() {
            for e in forget_path(cat, folder, &file.path, None)? {
                report.record(e);
            }
        }
    }
    Ok(report)
}

/// The folder's entries in name order, so new shots join the shot list in the order of
/// their files (SH010 before SH020) rather than in the filesystem's directory order.
fn listed_paths(folder: &WatchedFolder) -> Result<Vec<PathBuf>, IngestError> {
    let entries = std::fs::read_dir(&folder.path).map_err(|source| IngestError::ReadDir {
        path: folder.path.clone(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    Ok(paths)
}

/// Reserves the shot codes that the names of `paths` use, before any of them is indexed
/// (see `catalog::shots`); writes only when one is new.
fn reserve_file_codes(
    cat: &SharedCatalog,
    folder: &WatchedFolder,
    paths: &[PathBuf],
    names: &NameParser,
) -> Result<(), IngestError> {
    let mut codes: Vec<String> = paths
        .iter()
        .filter(|p| crate::identify::is_candidate_video(p, &folder.path))
        .filter_map(|p| names.parse(&p.file_name()?.to_string_lossy()).shot_code)
        .collect();
    let mut guard = lock(cat);
    let known = reserved_codes(guard.conn(), folder.project_id)?;
    codes.retain(|c| !known.contains(c));
    if !codes.is_empty() {
        guard.write(|tx| reserve_codes(tx, folder.project_id, codes.iter().map(String::as_str)))?;
    }
    Ok(())
}

/// Drops the file row at `path` (the file is gone); returns `Missing` when that was the
/// take's last file.
fn forget_path(
    cat: &SharedCatalog,
    folder: &WatchedFolder,
    path: &Path,
    why: Option<&str>,
) -> Result<Vec<IngestEvent>, IngestError> {
    let Some(text) = path.to_str() else {
        return Ok(vec![]);
    };
    let mut guard = lock(cat);
    let events = guard.write(|tx| -> Result<Vec<IngestEvent>, CatalogError> {
        let Some(file) = file_by_path(tx, text)? else {
            return Ok(vec![]);
        };
        if file.folder_id != folder.id {
            return Ok(vec![]);
        }
        let now_missing = remove_file(tx, &file)?;
        let t = crate::catalog::takes::take(tx, file.take_id)?;
        if now_missing {
            log_event(
                tx,
                t.project_id,
                EventKind::TakeMissing,
                Some(t.id),
                Some(t.shot_id),
                None,
                &match why {
                    Some(why) => serde_json::json!({ "path": text, "why": why }),
                    None => serde_json::json!({ "path": text }),
                },
            )?;
            Ok(vec![IngestEvent::Missing {
                take: t.id,
                shot_id: t.shot_id,
                shot: t.shot_code,
                path: path.to_owned(),
            }])
        } else {
            Ok(vec![IngestEvent::Changed {
                take: t.id,
                shot_id: t.shot_id,
                shot: t.shot_code,
                path: t.file.path,
            }])
        }
    })?;
    Ok(events)
}

/// Looks at one path in a watched folder and indexes it when it is a finished video.
fn ingest_path(
    cat: &SharedCatalog,
    folder: &WatchedFolder,
    path: &Path,
    known: Known<'_>,
    cfg: &IngestConfig,
    gate: &mut SettleGate,
) -> Result<PathOutcome, IngestError> {
    if !crate::identify::is_candidate_video(path, &folder.path) {
        return Ok(PathOutcome::Ignored);
    }
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(PathOutcome::Gone);
    };
    let refused = if meta.file_type().is_symlink() {
        Some("symbolic link: not followed (Takeboard only indexes files inside the watched folder)")
    } else if meta.is_dir() {
        return Ok(PathOutcome::Ignored);
    } else if !meta.is_file() {
        // Opening a named pipe would block the scan until something writes to it.
        Some("not a regular file (a named pipe, socket or device): not read")
    } else {
        None
    };
    if let Some(reason) = refused {
        let note = FileNote {
            path: path.to_owned(),
            reason: reason.into(),
        };
        // Put over a file we knew: that take's bytes are no longer here.
        let events = match known {
            Known::Looked(None) => Vec::new(),
            _ => forget_path(cat, folder, path, Some(reason))?,
        };
        return Ok(if events.is_empty() {
            PathOutcome::Skipped(note)
        } else {
            PathOutcome::Displaced(note, events)
        });
    }
    let Some(text) = path.to_str() else {
        return Ok(PathOutcome::Skipped(FileNote {
            path: path.to_owned(),
            reason: "the file name is not valid UTF-8; rename it to index it".into(),
        }));
    };
    let stamp = crate::hash::stamp(&meta);
    let known = match known {
        Known::Looked(f) => f.cloned(),
        Known::Unknown => file_by_path(lock(cat).conn(), text)?,
    };
    if let Some(f) = &known {
        if f.take_hashed
            && f.size == stamp.size
            && f.mtime_ns == stamp.mtime_ns
            && f.inode == stamp.inode
        {
            return Ok(PathOutcome::Unchanged);
        }
    }
    match gate.check(path, &meta, cfg.settle, SystemTime::now()) {
        Readiness::Ready => {}
        Readiness::NotYet | Readiness::Placeholder => return Ok(PathOutcome::Pending),
    }

    // Same file renamed (same inode, size and mtime as a row whose path is gone): no rehash.
    let renamed_from = file_by_stamp(
        lock(cat).conn(),
        folder.project_id,
        stamp.size,
        stamp.mtime_ns,
        stamp.inode,
    )?
    .into_iter()
    .find(|f| f.path != path && std::fs::symlink_metadata(&f.path).is_err());

    let identity = identify(path, &cfg.names);
    let mut rec = TakeRecord {
        file: FileFacts {
            path: path.to_owned(),
            size: stamp.size,
            sidecar_error: identity.sidecar_error.clone(),
            ..FileFacts::default()
        },
        mtime_ns: stamp.mtime_ns,
        inode: stamp.inode,
        generation: identity.generation.clone(),
    };

    if let Some(old) = renamed_from {
        let hash = crate::catalog::takes::take(lock(cat).conn(), old.take_id)?
            .file
            .content_hash;
        rec.file.content_hash = hash;
        if rec.file.content_hash.is_some() {
            return Ok(PathOutcome::Examined(Box::new(Examined {
                rec,
                identity,
                renamed_from: Some(old.path),
                note: None,
            })));
        }
    }

    let mut note = None;
    // Probe first: it reads only the box headers, while hashing reads every byte.
    let probed = probe_file(path);
    if let Err(ProbeError::Truncated(_)) = &probed {
        let young = SystemTime::now()
            .duration_since(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH))
            .map(|age| age < cfg.churn_limit)
            .unwrap_or(true);
        if young {
            // Looks like a download still on its way: wait for more bytes.
            return Ok(PathOutcome::Pending);
        }
    }
    match probed {
        // Not an MP4/MOV at all (an error page saved as .mp4, say): recorded with its
        // error by path, without reading a possibly huge file for a hash.
        Err(e @ ProbeError::NotIsoBmff(_)) => rec.file.error = Some(e.to_string()),
        probed => match hash_file(path) {
            Ok(h) => {
                rec.file.content_hash = Some(h.hash);
                rec.file.size = h.stamp.size;
                rec.mtime_ns = h.stamp.mtime_ns;
                rec.inode = h.stamp.inode;
                match probed {
                    Ok(m) => rec.file.media = Some(m),
                    Err(e) => rec.file.error = Some(e.to_string()),
                }
            }
            Err(HashError::ChangedWhileHashing { .. }) => return Ok(PathOutcome::Pending),
            Err(HashError::Io { .. }) if std::fs::symlink_metadata(path).is_err() => {
                return Ok(PathOutcome::Gone)
            }
            Err(e) => rec.file.error = Some(e.to_string()),
        },
    }
    if let Some(err) = &rec.file.error {
        note = Some(FileNote {
            path: path.to_owned(),
            reason: err.clone(),
        });
    }
    Ok(PathOutcome::Examined(Box::new(Examined {
        rec,
        identity,
        renamed_from: None,
        note,
    })))
}

/// Writes examined files to the catalog in one transaction.
fn record_batch(
    cat: &SharedCatalog,
    folder: &WatchedFolder,
    batch: &[Examined],
) -> Result<Vec<IngestEvent>, IngestError> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut guard = lock(cat);
    let events = guard.write(|tx| -> Result<Vec<IngestEvent>, CatalogError> {
        let mut events = Vec::new();
        for ex in batch {
            events.extend(record(tx, folder, ex)?);
        }
        Ok(events)
    })?;
    Ok(events)
}

/// Writes one examined file (inside the caller's transaction).
fn record(
    tx: &crate::catalog::sql::Tx<'_>,
    folder: &WatchedFolder,
    ex: &Examined,
) -> Result<Vec<IngestEvent>, CatalogError> {
    let (rec, identity) = (&ex.rec, &ex.identity);
    let project_id = folder.project_id;
    let path_text = crate::catalog::takes::path_text(&rec.file.path)?.to_owned();
    {
        let mut events = Vec::new();
        if let Some(old) = ex.renamed_from.as_deref().and_then(Path::to_str) {
            if let Some(f) = file_by_path(tx, old)? {
                crate::catalog::takes::forget_renamed_file(tx, f.id)?;
            }
        }
        // This path held other content before (or was unreadable): let go of it first.
        if let Some(f) = file_by_path(tx, &path_text)? {
            let prior = crate::catalog::takes::take(tx, f.take_id)?;
            if prior.file.content_hash != rec.file.content_hash {
                let gone = remove_file(tx, &f)?;
                // An unreadable or unfinished file that the user never decided on is not a
                // take worth keeping once its bytes changed: drop it rather than leave a
                // "missing" ghost.
                let undecided =
                    prior.status == crate::domain::TakeStatus::Unreviewed && !prior.is_final;
                // One that has notes or is a render request's source or result is kept.
                let ghost =
                    prior.file.content_hash.is_none() || (prior.file.error.is_some() && undecided);
                let dropped =
                    gone && ghost && crate::catalog::takes::drop_unused_take(tx, prior.id)?;
                if gone && !dropped {
                    events.push(IngestEvent::Missing {
                        take: prior.id,
                        shot_id: prior.shot_id,
                        shot: prior.shot_code,
                        path: rec.file.path.clone(),
                    });
                }
            }
        }
        let existing = match &rec.file.content_hash {
            Some(h) => take_id_by_hash(tx, project_id, h)?,
            None => crate::catalog::takes::unhashed_take_at(tx, project_id, &path_text)?,
        };
        match existing {
            Some(id) => {
                let before = crate::catalog::takes::take(tx, id)?;
                refresh_take(tx, id, rec)?;
                put_file(tx, folder.id, id, rec)?;
                let after = crate::catalog::takes::take(tx, id)?;
                let was_missing = before.presence == crate::domain::Presence::Missing;
                if was_missing {
                    log_event(
                        tx,
                        project_id,
                        EventKind::TakeRestored,
                        Some(id),
                        Some(after.shot_id),
                        None,
                        &serde_json::json!({ "path": path_text }),
                    )?;
                    events.push(IngestEvent::Restored {
                        take: id,
                        shot_id: after.shot_id,
                        shot: after.shot_code,
                        path: rec.file.path.clone(),
                    });
                } else if before != after {
                    events.push(IngestEvent::Changed {
                        take: id,
                        shot_id: after.shot_id,
                        shot: after.shot_code,
                        path: rec.file.path.clone(),
                    });
                }
            }
            None => {
                let (shot_id, code_held_by) = choose_shot(tx, project_id, identity)?;
                let id = insert_take(tx, project_id, shot_id, rec)?;
                put_file(tx, folder.id, id, rec)?;
                // A render we requested came back: link it and let it join the request's shot.
                if let Some(generation_id) = &rec.generation.generation_id {
                    link_result(tx, id, generation_id)?;
                }
                let landed = crate::catalog::takes::take(tx, id)?;
                let mut detail = serde_json::json!({ "path": path_text });
                if let Some(held) = code_held_by {
                    detail["code_held_by"] =
                        serde_json::json!({ "code": held.code, "name": held.name });
                }
                log_event(
                    tx,
                    project_id,
                    EventKind::TakeAdded,
                    Some(id),
                    Some(shot_id),
                    None,
                    &detail,
                )?;
                events.push(IngestEvent::Added {
                    take: id,
                    shot_id: landed.shot_id,
                    shot: landed.shot_code,
                    path: rec.file.path.clone(),
                });
            }
        }
        Ok(events)
    }
}

/// Where a new take goes: its shot code; else the shot of its prompt; else `UNSORTED`.
/// A code held by a prompt group the user renamed is never merged into: the take goes to
/// `UNSORTED` for the user to place, and that shot is returned to say why.
fn choose_shot(
    tx: &crate::catalog::sql::Tx<'_>,
    project_id: ProjectId,
    identity: &Identity,
) -> Result<(ShotId, Option<crate::catalog::ShotRow>), CatalogError> {
    if let Some(code) = &identity.shot_code {
        return Ok(match shot_for_file_code(tx, project_id, code)? {
            FileCodeShot::Shot(s) => (s.id, None),
            FileCodeShot::HeldByNamedShot(held) => (unsorted_shot(tx, project_id)?.id, Some(held)),
        });
    }
    if let Some(key) = identity.prompt_key.as_deref().filter(|k| !k.is_empty()) {
        let name = shot_name_from_prompt(identity.generation.prompt.as_deref().unwrap_or(key));
        return Ok((ensure_shot_for_prompt(tx, project_id, key, &name)?.id, None));
    }
    Ok((unsorted_shot(tx, project_id)?.id, None))
}
