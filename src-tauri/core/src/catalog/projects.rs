//! Projects, their settings and watched folders.

/// A project row.
#[derive(Debug, Clone)]
pub struct Project {
    /// Row id.
    pub id: i64,
    /// Unique name.
    pub name: String,
}
/// A project's settings (stored as JSON on the project row).
#[derive(Debug, Clone, Default)]
pub struct ProjectSettings {}
/// A folder watched for a project.
#[derive(Debug, Clone)]
pub struct WatchedFolder {
    /// Row id.
    pub id: i64,
    /// Absolute path.
    pub path: std::path::PathBuf,
}
