//! A real library on disk for tests: a temp dir with `library.db` and a watched `clips/`
//! folder attached to one project, plus polling helpers with deadlines.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use takeboard_core::catalog::{projects, takes, Catalog, TakeRow};
use takeboard_core::domain::ProjectId;
use takeboard_core::ingest::{self, IngestConfig, ScanReport, SharedCatalog};

/// A library with one project watching one folder.
pub struct TestLibrary {
    /// Keeps the temp dir alive.
    pub dir: tempfile::TempDir,
    /// The watched folder.
    pub clips: PathBuf,
    /// The open catalog.
    pub cat: SharedCatalog,
    /// The project.
    pub project_id: ProjectId,
}

/// A short settle window so tests run fast; the rule is the same as in production.
pub fn fast_config() -> IngestConfig {
    IngestConfig {
        settle: Duration::from_millis(300),
        churn_limit: Duration::from_secs(5),
        reconcile_every: Duration::from_secs(3600),
        ..IngestConfig::default()
    }
}

impl TestLibrary {
    /// A fresh library watching an empty `clips/` folder.
    pub fn new() -> TestLibrary {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("library.db");
        let clips = dir.path().join("clips");
        std::fs::create_dir(&clips).expect("clips dir");
        let clips = std::fs::canonicalize(&clips).expect("canonical clips");
        let mut cat = Catalog::open(&db).expect("open library");
        let project_id = cat
            .write(
                |tx| -> Result<ProjectId, takeboard_core::catalog::CatalogError> {
                    let p = projects::ensure_project(tx, "Test")?;
                    projects::add_folder(tx, p.id, &clips, &db)?;
                    Ok(p.id)
                },
            )
            .expect("project");
        TestLibrary {
            dir,
            clips,
            cat: Arc::new(Mutex::new(cat)),
            project_id,
        }
    }

    /// One full reconcile, waiting for files still being written.
    pub fn scan(&self) -> ScanReport {
        ingest::reconcile_project(
            &self.cat,
            self.project_id,
            &fast_config(),
            Duration::from_secs(10),
        )
        .expect("scan")
    }

    /// All takes of the project.
    pub fn takes(&self) -> Vec<TakeRow> {
        let cat = self.cat.lock().unwrap();
        takes::takes(cat.conn(), self.project_id, None).expect("takes")
    }

    /// The take whose last known path is `path`.
    pub fn take_at(&self, path: &Path) -> Option<TakeRow> {
        self.takes().into_iter().find(|t| t.file.path == path)
    }

    /// Polls `cond` on the takes until it holds or `timeout` passes.
    pub fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        cond: impl Fn(&[TakeRow]) -> bool,
    ) -> Vec<TakeRow> {
        let deadline = Instant::now() + timeout;
        loop {
            let takes = self.takes();
            if cond(&takes) {
                return takes;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what}; takes now: {:?}",
                takes
                    .iter()
                    .map(|t| (&t.file.path, t.presence))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
