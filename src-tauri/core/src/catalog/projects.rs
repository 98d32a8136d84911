//! Projects and their watched folders.

use super::sql::{params, DbError, Row, Sql, SqlExt, Tx};
use super::{log_event, now_text, CatalogError};
use crate::domain::{EventKind, ProjectId, RequestId, TakeId};
use crate::settings::ProjectSettings;
use std::path::{Path, PathBuf};

/// A project: a named set of watched folders, settings and an ordered shot list.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// Row id.
    pub id: ProjectId,
    /// Unique name.
    pub name: String,
    /// The settings JSON as stored (see `settings::ProjectSettings`).
    pub settings_json: String,
}

/// A folder watched for a project.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchedFolder {
    /// Row id.
    pub id: i64,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// Absolute, canonical path.
    pub path: PathBuf,
}

fn project_from_row(r: &Row) -> Result<Project, DbError> {
    Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        settings_json: r.get(2)?,
    })
}

/// Locks `project` for the rest of the transaction `tx`: on a studio server every writer
/// takes the project's row lock before it reads what it will decide on, so two editors'
/// transactions on one project run one after the other (what `BEGIN IMMEDIATE` already
/// does for a whole SQLite file). Through `lock_project()`, which needs no UPDATE right.
pub fn lock_project(tx: &Tx<'_>, project: ProjectId) -> Result<(), CatalogError> {
    if tx.engine() == super::sql::Engine::Postgres {
        tx.query_row("SELECT lock_project(?1)", params![project], |r| {
            r.get::<Option<i64>>(0)
        })?
        .ok_or_else(|| CatalogError::NotFound(format!("no project with id {project}")))?;
    }
    Ok(())
}

/// The project of the take `take_id` (a take never moves to another project).
pub fn project_of_take(conn: &dyn Sql, take_id: TakeId) -> Result<Option<ProjectId>, CatalogError> {
    Ok(conn.query_opt(
        "SELECT project_id FROM takes WHERE id = ?1",
        params![take_id],
        |r| r.get(0),
    )?)
}

/// The project of the render request `request_id` (it never moves either).
pub fn project_of_request(
    conn: &dyn Sql,
    request_id: RequestId,
) -> Result<Option<ProjectId>, CatalogError> {
    Ok(conn.query_opt(
        "SELECT project_id FROM render_requests WHERE id = ?1",
        params![request_id],
        |r| r.get(0),
    )?)
}

/// The project called `name`, if any.
pub fn project_by_name(conn: &dyn Sql, name: &str) -> Result<Option<Project>, CatalogError> {
    Ok(conn.query_opt(
        "SELECT id, name, settings_json FROM projects WHERE name = ?1",
        params![name],
        project_from_row,
    )?)
}

/// The project with this id.
pub fn project(conn: &dyn Sql, id: ProjectId) -> Result<Project, CatalogError> {
    conn.query_opt(
        "SELECT id, name, settings_json FROM projects WHERE id = ?1",
        params![id],
        project_from_row,
    )?
    .ok_or_else(|| CatalogError::NotFound(format!("no project with id {id}")))
}

/// Every project, oldest first.
pub fn projects(conn: &dyn Sql) -> Result<Vec<Project>, CatalogError> {
    Ok(conn.query_map(
        "SELECT id, name, settings_json FROM projects ORDER BY id",
        params![],
        project_from_row,
    )?)
}

/// The project called `name`, created (with default settings) when it does not exist.
pub fn ensure_project(tx: &Tx<'_>, name: &str) -> Result<Project, CatalogError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CatalogError::Invalid("a project needs a name".into()));
    }
    if let Some(p) = project_by_name(tx, name)? {
        return Ok(p);
    }
    let id: ProjectId = tx.query_row(
        "INSERT INTO projects (name, created_at) VALUES (?1, ?2) RETURNING id",
        params![name, now_text()],
        |r| r.get(0),
    )?;
    log_event(
        tx,
        id,
        EventKind::ProjectCreated,
        None,
        None,
        None,
        &serde_json::json!({ "name": name }),
    )?;
    project(tx, id)
}

/// The watched folders of a project (on a studio library, this machine's).
pub fn folders(conn: &dyn Sql, project_id: ProjectId) -> Result<Vec<WatchedFolder>, CatalogError> {
    // On a studio library a watched folder is a path on one machine: this one's only.
    let sql = match conn.engine() {
        super::sql::Engine::Sqlite => {
            "SELECT id, project_id, path FROM watched_folders WHERE project_id = ?1 ORDER BY id"
        }
        super::sql::Engine::Postgres => {
            "SELECT id, project_id, path FROM watched_folders
             WHERE project_id = ?1 AND machine_id = current_setting('takeboard.machine_id')
             ORDER BY id"
        }
    };
    Ok(conn.query_map(sql, params![project_id], |r| {
        Ok(WatchedFolder {
            id: r.get(0)?,
            project_id: r.get(1)?,
            path: PathBuf::from(r.get::<String>(2)?),
        })
    })?)
}

/// The project's watched folder that `file` would be written into, if any (compared
/// canonically: the file may not exist yet, its folder must).
pub fn watched_folder_holding(
    conn: &dyn Sql,
    project_id: ProjectId,
    file: &Path,
) -> Result<Option<PathBuf>, CatalogError> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let parent = canonical(file.parent().unwrap_or(file));
    Ok(folders(conn, project_id)?
        .into_iter()
        .map(|f| f.path)
        .find(|folder| parent.starts_with(canonical(folder))))
}

/// Adds `path` (which must be an absolute, canonical folder path) to the project's
/// watched folders; returns the existing row when it is already watched.
///
/// Refuses a folder that holds the library database itself: the database must never live
/// in a watched folder.
pub fn add_folder(
    tx: &Tx<'_>,
    project_id: ProjectId,
    path: &Path,
    library: &Path,
) -> Result<WatchedFolder, CatalogError> {
    let text = path
        .to_str()
        .ok_or_else(|| CatalogError::Invalid(format!("{} is not valid UTF-8", path.display())))?;
    // Compared canonically: `..`, symlinked folders and the library's own link resolved.
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    if canonical(library).starts_with(canonical(path)) {
        return Err(CatalogError::Invalid(format!(
            "the library {} is inside the folder {}; keep the library outside watched folders (use --library)",
            library.display(),
            path.display()
        )));
    }
    tx.execute(
        "INSERT INTO watched_folders (project_id, path, added_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (project_id, path) DO NOTHING",
        params![project_id, text, now_text()],
    )?;
    let id: i64 = tx.query_row(
        "SELECT id FROM watched_folders WHERE project_id = ?1 AND path = ?2",
        params![project_id, text],
        |r| r.get(0),
    )?;
    Ok(WatchedFolder {
        id,
        project_id,
        path: path.to_owned(),
    })
}

/// Reads a project's settings; fields absent from the stored JSON take their defaults.
pub fn load_settings(
    conn: &dyn Sql,
    project_id: ProjectId,
) -> Result<ProjectSettings, CatalogError> {
    let json: String = conn
        .query_opt(
            "SELECT settings_json FROM projects WHERE id = ?1",
            params![project_id],
            |r| r.get(0),
        )?
        .ok_or_else(|| CatalogError::NotFound(format!("project {project_id} not found")))?;
    serde_json::from_str(&json).map_err(|e| {
        CatalogError::Invalid(format!(
            "the settings of project {project_id} cannot be read ({e}); fix them in the settings dialog or reset them"
        ))
    })
}

/// Validates and stores a project's settings, logging the change in the event log.
pub fn save_settings(
    tx: &Tx<'_>,
    project_id: ProjectId,
    settings: &ProjectSettings,
) -> Result<(), CatalogError> {
    settings
        .validate()
        .map_err(|e| CatalogError::Invalid(e.0))?;
    let json = serde_json::to_value(settings)
        .map_err(|e| CatalogError::Invalid(format!("settings cannot be stored: {e}")))?;
    let changed = tx.execute(
        "UPDATE projects SET settings_json = ?2 WHERE id = ?1",
        params![project_id, json.to_string()],
    )?;
    if changed == 0 {
        return Err(CatalogError::NotFound(format!(
            "project {project_id} not found"
        )));
    }
    log_event(
        tx,
        project_id,
        EventKind::SettingsSaved,
        None,
        None,
        None,
        &json,
    )
}
