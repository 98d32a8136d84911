//! The watcher: `notify` events as hints, a settle queue, and reconciles on a timer, on
//! lost-event flags and when a watched folder comes back.
//!
//! One thread owns the loop. The watcher is armed before the first full reconcile so that
//! nothing created during that scan is lost; every event only puts a path in the queue,
//! and rows come from `ingest_path` (fresh stat, hash, probe). Reads are not changes:
//! inotify reports every open and read-only close (our own scans, hashing, the media
//! server, any viewer), and acting on them made each scan's `read_dir` trigger the next.

use super::{
    forget_path, ingest_path, lock, reconcile_folder, record_batch, IngestConfig, IngestError,
    IngestEvent, Known, PathOutcome, SettleGate, SharedCatalog,
};
use crate::catalog::projects::folders;
use crate::catalog::WatchedFolder;
use crate::domain::ProjectId;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

enum Message {
    Fs(notify::Result<notify::Event>),
    /// Someone found a file that is not what was indexed (the media server): look again.
    Look(PathBuf),
    Stop,
}

/// Asks a running watcher to look at a path again; cheap to clone, harmless once the
/// watcher stopped.
#[derive(Clone)]
pub struct LookAgain(Sender<Message>);

impl LookAgain {
    /// Queues `path` for a fresh look (stat, hash, probe) by the watcher.
    pub fn path(&self, path: &std::path::Path) {
        let _ = self.0.send(Message::Look(path.to_owned()));
    }
}

/// A running watcher. Dropping it stops the thread and waits for it.
pub struct WatchHandle {
    stop: Sender<Message>,
    thread: Option<JoinHandle<()>>,
    full_passes: Arc<AtomicU64>,
}

impl WatchHandle {
    /// How many full reconciles of the watched folders the loop has run so far (the first
    /// one, the periodic ones and those asked for by lost events or a returning folder).
    pub fn full_passes(&self) -> u64 {
        self.full_passes.load(Ordering::Relaxed)
    }

    /// A way to ask this watcher to look at a path again, from another thread.
    pub fn look_again(&self) -> LookAgain {
        LookAgain(self.stop.clone())
    }

    /// Stops watching and waits for the loop to finish its current step.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(Message::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts watching every folder of `project_id`: a full reconcile first (reported through
/// `on_event` like everything after it), then events, the settle queue and periodic
/// reconciles until the handle is stopped. `on_error` hears about problems that do not
/// stop the loop (a folder that vanished, a failed reconcile).
pub fn watch(
    cat: SharedCatalog,
    project_id: ProjectId,
    cfg: IngestConfig,
    on_event: impl Fn(&IngestEvent) + Send + 'static,
    on_error: impl Fn(&IngestError) + Send + 'static,
) -> Result<WatchHandle, IngestError> {
    let watched = folders(lock(&cat).conn(), project_id)?;
    let (tx, rx) = channel::<Message>();
    let fs_tx = tx.clone();
    let mut watcher = notify::recommended_watcher(move |res| {
        let _ = fs_tx.send(Message::Fs(res));
    })
    .map_err(|e| IngestError::Watch {
        path: PathBuf::new(),
        detail: e.to_string(),
    })?;
    let mut armed = Armed::default();
    // A folder that is not there now (an unplugged drive) is reported by the first
    // `rearm` and armed when it comes back; it must not stop the others being watched.
    for f in &watched {
        if let Some(inode) = folder_inode(&f.path) {
            watcher
                .watch(&f.path, RecursiveMode::NonRecursive)
                .map_err(|e| IngestError::Watch {
                    path: f.path.clone(),
                    detail: e.to_string(),
                })?;
            armed.inodes.insert(f.path.clone(), inode);
        }
    }

    let full_passes = Arc::new(AtomicU64::new(0));
    let passes = Arc::clone(&full_passes);
    let thread = std::thread::Builder::new()
        .name("takeboard-watch".into())
        .spawn(move || {
            let mut gate = SettleGate::default();
            let mut queue: BTreeSet<PathBuf> = BTreeSet::new();
            let mut need_reconcile = true;
            let mut last_reconcile = Instant::now();
            let mut last_rearm = Instant::now();
            let tick =
                (cfg.settle / 4).clamp(Duration::from_millis(10), Duration::from_millis(100));
            loop {
                // A folder that vanished is looked for again every couple of seconds: no
                // event will say it is back (its watch died with it).
                let folder_gone = armed.inodes.len() < watched.len()
                    && last_rearm.elapsed() >= MISSING_FOLDER_RETRY;
                if folder_gone {
                    last_rearm = Instant::now();
                    if rearm(&mut watcher, &watched, &mut armed, &on_error) {
                        need_reconcile = true;
                    }
                }
                if need_reconcile || last_reconcile.elapsed() >= cfg.reconcile_every {
                    need_reconcile = false;
                    last_reconcile = Instant::now();
                    rearm(&mut watcher, &watched, &mut armed, &on_error);
                    passes.fetch_add(1, Ordering::Relaxed);
                    for folder in watched
                        .iter()
                        .filter(|f| armed.inodes.contains_key(&f.path))
                    {
                        match reconcile_folder(&cat, folder, &cfg, &mut gate) {
                            Ok(report) => {
                                report.events.iter().for_each(&on_event);
                                queue.extend(report.pending);
                            }
                            Err(e) => on_error(&e),
                        }
                    }
                }
                match rx.recv_timeout(tick) {
                    Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                    Ok(Message::Fs(Ok(event))) => {
                        note_event(event, &watched, &mut queue, &mut need_reconcile);
                        if drain_burst(&rx, &watched, &mut queue, &mut need_reconcile) {
                            break;
                        }
                    }
                    Ok(Message::Look(path)) => {
                        queue.insert(path);
                    }
                    Ok(Message::Fs(Err(e))) => {
                        need_reconcile = true;
                        on_error(&IngestError::Watch {
                            path: e.paths.first().cloned().unwrap_or_default(),
                            detail: e.to_string(),
                        });
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                }
                let waiting: Vec<PathBuf> = std::mem::take(&mut queue).into_iter().collect();
                for path in waiting {
                    let Some(folder) = watched.iter().find(|f| path.parent() == Some(&f.path))
                    else {
                        continue;
                    };
                    match step(&cat, folder, &path, &cfg, &mut gate) {
                        Ok(Some(events)) => events.iter().for_each(&on_event),
                        Ok(None) => {
                            queue.insert(path);
                        }
                        Err(e) => on_error(&e),
                    }
                }
            }
            drop(watcher);
        })
        .map_err(|e| IngestError::Watch {
            path: PathBuf::new(),
            detail: e.to_string(),
        })?;
    Ok(WatchHandle {
        stop: tx,
        thread: Some(thread),
        full_passes,
    })
}

/// Queues the paths a change event names; an event on a watched folder itself, or one
/// saying events were lost, asks for a full reconcile. Reads are dropped.
fn note_event(
    event: notify::Event,
    watched: &[WatchedFolder],
    queue: &mut BTreeSet<PathBuf>,
    need_reconcile: &mut bool,
) {
    if is_read(&event) {
        return;
    }
    let touches_folder = event
        .paths
        .iter()
        .any(|p| watched.iter().any(|f| &f.path == p));
    if touches_folder || event.need_rescan() || matches!(event.kind, EventKind::Other) {
        *need_reconcile = true;
    }
    queue.extend(event.paths);
}

/// An open, a read or a read-only close: nothing changed. (A close after writing stays:
/// it is the moment a download tool finished a file.)
fn is_read(event: &notify::Event) -> bool {
    match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => false,
        EventKind::Access(_) => true,
        _ => false,
    }
}

/// Takes every message already queued, so a burst is handled in one pass. Returns `true`
/// when a stop request was among them.
fn drain_burst(
    rx: &std::sync::mpsc::Receiver<Message>,
    watched: &[WatchedFolder],
    queue: &mut BTreeSet<PathBuf>,
    need_reconcile: &mut bool,
) -> bool {
    while let Ok(msg) = rx.try_recv() {
        match msg {
            Message::Fs(Ok(event)) => note_event(event, watched, queue, need_reconcile),
            Message::Fs(Err(_)) => *need_reconcile = true,
            Message::Look(path) => {
                queue.insert(path);
            }
            Message::Stop => return true,
        }
    }
    false
}

/// Handles one queued path: `Some(events)` when done with it, `None` to keep it queued.
fn step(
    cat: &SharedCatalog,
    folder: &WatchedFolder,
    path: &std::path::Path,
    cfg: &IngestConfig,
    gate: &mut SettleGate,
) -> Result<Option<Vec<IngestEvent>>, IngestError> {
    match ingest_path(cat, folder, path, Known::Unknown, cfg, gate)? {
        PathOutcome::Examined(ex) => {
            gate.forget(path);
            record_batch(cat, folder, std::slice::from_ref(&*ex)).map(Some)
        }
        PathOutcome::Pending => Ok(None),
        PathOutcome::Gone => {
            gate.forget(path);
            forget_path(cat, folder, path, None).map(Some)
        }
        PathOutcome::Displaced(_, events) => {
            gate.forget(path);
            Ok(Some(events))
        }
        PathOutcome::Unchanged | PathOutcome::Skipped(_) | PathOutcome::Ignored => {
            gate.forget(path);
            Ok(Some(Vec::new()))
        }
    }
}

/// How often a watched folder that disappeared is looked for.
const MISSING_FOLDER_RETRY: Duration = Duration::from_secs(2);

/// The folders currently watched, by the inode their watch was armed on, and the missing
/// ones already reported (reported once, not at every retry).
#[derive(Default)]
struct Armed {
    inodes: std::collections::BTreeMap<PathBuf, u64>,
    reported_missing: BTreeSet<PathBuf>,
}

fn folder_inode(path: &std::path::Path) -> Option<u64> {
    std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_dir)
        .map(|m| crate::hash::stamp(&m).inode)
}

/// Re-arms watches on folders that disappeared and came back, or were replaced by a new
/// folder at the same path (the watch dies with the folder's inode), and reports folders
/// that are missing. Returns `true` when a folder was (re-)armed.
fn rearm(
    watcher: &mut notify::RecommendedWatcher,
    watched: &[WatchedFolder],
    armed: &mut Armed,
    on_error: &impl Fn(&IngestError),
) -> bool {
    let mut rearmed = false;
    for f in watched {
        match folder_inode(&f.path) {
            None => {
                if armed.inodes.remove(&f.path).is_some() {
                    let _ = watcher.unwatch(&f.path);
                }
                if armed.reported_missing.insert(f.path.clone()) {
                    on_error(&IngestError::FolderMissing(f.path.clone()));
                }
            }
            Some(inode) if armed.inodes.get(&f.path) != Some(&inode) => {
                let _ = watcher.unwatch(&f.path);
                match watcher.watch(&f.path, RecursiveMode::NonRecursive) {
                    Ok(()) => {
                        armed.inodes.insert(f.path.clone(), inode);
                        armed.reported_missing.remove(&f.path);
                        rearmed = true;
                    }
                    Err(e) => on_error(&IngestError::Watch {
                        path: f.path.clone(),
                        detail: e.to_string(),
                    }),
                }
            }
            Some(_) => {}
        }
    }
    rearmed
}
