//! Shots: creation by code or by prompt, the `UNSORTED` shot, names and order.
//!
//! Positions are 1-based and contiguous within a project. What the user set by hand
//! (a name, an order) is never undone by ingest: ingest only creates shots, at the end.
//! A code that a file name uses is the user's: it is reserved before any automatic
//! (prompt-grouped) shot gets a code, and an automatic shot the user never named gives it
//! up when such a file arrives later.

use super::sql::{params, DbError, Row, Sql, SqlExt, Tx};
use super::{log_event, now_text, Catalog, CatalogError};
use crate::domain::{EventKind, ProjectId, ShotId};

/// The code of the shot that collects takes no rule could place.
pub const UNSORTED_CODE: &str = "UNSORTED";

/// A shot row.
#[derive(Debug, Clone, PartialEq)]
pub struct ShotRow {
    /// Row id.
    pub id: ShotId,
    /// Project.
    pub project_id: ProjectId,
    /// Short code, unique in the project (`SH010`).
    pub code: String,
    /// Human name.
    pub name: String,
    /// 1-based place in the shot list.
    pub position: i64,
    /// The normalized prompt this shot was created for, if it was created by prompt grouping
    /// (its code was then chosen automatically).
    pub prompt_key: Option<String>,
    /// The user renamed it.
    pub named_by_user: bool,
}

const COLUMNS: &str = "id, project_id, code, name, position, prompt_key, named_by_user";

fn from_row(r: &Row) -> Result<ShotRow, DbError> {
    Ok(ShotRow {
        id: r.get(0)?,
        project_id: r.get(1)?,
        code: r.get(2)?,
        name: r.get(3)?,
        position: r.get(4)?,
        prompt_key: r.get(5)?,
        named_by_user: r.get(6)?,
    })
}

/// The project's shots in shot-list order.
pub fn shots(conn: &dyn Sql, project_id: ProjectId) -> Result<Vec<ShotRow>, CatalogError> {
    Ok(conn.query_map(
        &format!("SELECT {COLUMNS} FROM shots WHERE project_id = ?1 ORDER BY position, id"),
        params![project_id],
        from_row,
    )?)
}

/// One shot by id.
pub fn shot(conn: &dyn Sql, id: ShotId) -> Result<ShotRow, CatalogError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM shots WHERE id = ?1"),
        params![id],
        from_row,
    )?
    .ok_or_else(|| CatalogError::NotFound(format!("no shot with id {id}")))
}

/// One shot by code (codes compare case-insensitively; they are stored upper case).
pub fn shot_by_code(
    conn: &dyn Sql,
    project_id: ProjectId,
    code: &str,
) -> Result<Option<ShotRow>, CatalogError> {
    Ok(conn.query_opt(
        &format!("SELECT {COLUMNS} FROM shots WHERE project_id = ?1 AND code = ?2"),
        params![project_id, code.trim().to_uppercase()],
        from_row,
    )?)
}

fn insert(
    tx: &Tx<'_>,
    project_id: ProjectId,
    code: &str,
    name: &str,
    prompt_key: Option<&str>,
) -> Result<ShotRow, CatalogError> {
    let position: i64 = tx.query_row(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM shots WHERE project_id = ?1",
        params![project_id],
        |r| r.get(0),
    )?;
    let id: ShotId = tx.query_row(
        "INSERT INTO shots (project_id, code, name, position, prompt_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        params![project_id, code, name, position, prompt_key, now_text()],
        |r| r.get(0),
    )?;
    log_event(
        tx,
        project_id,
        EventKind::ShotCreated,
        None,
        Some(id),
        None,
        &serde_json::json!({ "code": code, "name": name }),
    )?;
    shot(tx, id)
}

/// A shot code as stored: trimmed, upper case, never empty.
fn stored_code(code: &str) -> Result<String, CatalogError> {
    let code = code.trim().to_uppercase();
    if code.is_empty() {
        return Err(CatalogError::Invalid("a shot code cannot be empty".into()));
    }
    Ok(code)
}

/// The shot with this code, created at the end of the list when missing. This is the
/// user's choice (moving a take by hand): whatever shot holds the code is the one.
pub fn ensure_shot_by_code(
    tx: &Tx<'_>,
    project_id: ProjectId,
    code: &str,
) -> Result<ShotRow, CatalogError> {
    let code = stored_code(code)?;
    match shot_by_code(tx, project_id, &code)? {
        Some(s) => Ok(s),
        None => insert(tx, project_id, &code, &code, None),
    }
}

/// Where a take goes whose file name says its shot code.
#[derive(Debug, Clone, PartialEq)]
pub enum FileCodeShot {
    /// The shot with that code: found, created, or taken back from an automatic shot.
    Shot(ShotRow),
    /// A prompt-grouped shot that the user renamed holds the code. It is never touched, and
    /// two different shots are never merged: the take goes elsewhere.
    HeldByNamedShot(ShotRow),
}

/// Records `codes`, read from file names, as the user's: no automatic shot gets one later.
pub fn reserve_codes<'a>(
    tx: &Tx<'_>,
    project_id: ProjectId,
    codes: impl IntoIterator<Item = &'a str>,
) -> Result<(), CatalogError> {
    for code in codes {
        tx.execute(
            "INSERT INTO reserved_shot_codes (project_id, code) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![project_id, stored_code(code)?],
        )?;
    }
    Ok(())
}

/// The codes reserved in a project.
pub fn reserved_codes(
    conn: &dyn Sql,
    project_id: ProjectId,
) -> Result<std::collections::BTreeSet<String>, CatalogError> {
    let codes = conn.query_map(
        "SELECT code FROM reserved_shot_codes WHERE project_id = ?1",
        params![project_id],
        |r| r.get::<String>(0),
    )?;
    Ok(codes.into_iter().collect())
}

/// The shot for a take whose file name says `code`. The file's code wins over an
/// automatic one: an automatic shot the user never renamed that holds it moves to a free
/// code (logged as `shot-recoded`) and a shot for the file's code is created.
pub fn shot_for_file_code(
    tx: &Tx<'_>,
    project_id: ProjectId,
    code: &str,
) -> Result<FileCodeShot, CatalogError> {
    let code = stored_code(code)?;
    reserve_codes(tx, project_id, [code.as_str()])?;
    let Some(holder) = shot_by_code(tx, project_id, &code)? else {
        return Ok(FileCodeShot::Shot(insert(
            tx, project_id, &code, &code, None,
        )?));
    };
    if holder.prompt_key.is_none() {
        return Ok(FileCodeShot::Shot(holder));
    }
    if holder.named_by_user {
        return Ok(FileCodeShot::HeldByNamedShot(holder));
    }
    let free = next_free_code(tx, project_id)?;
    tx.execute(
        "UPDATE shots SET code = ?1 WHERE id = ?2",
        params![free, holder.id],
    )?;
    log_event(
        tx,
        project_id,
        EventKind::ShotRecoded,
        None,
        Some(holder.id),
        None,
        &serde_json::json!({ "from": code, "to": free, "why": "a file name uses the code" }),
    )?;
    Ok(FileCodeShot::Shot(insert(
        tx, project_id, &code, &code, None,
    )?))
}

/// The shot grouping takes with this normalized prompt, created (named after the prompt,
/// with the next free `SHnnn` code) when missing.
pub fn ensure_shot_for_prompt(
    tx: &Tx<'_>,
    project_id: ProjectId,
    prompt_key: &str,
    name: &str,
) -> Result<ShotRow, CatalogError> {
    let found = tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM shots WHERE project_id = ?1 AND prompt_key = ?2 ORDER BY id LIMIT 1"
            ),
            params![project_id, prompt_key],
            from_row,
        )
        ?;
    if let Some(s) = found {
        return Ok(s);
    }
    let code = next_free_code(tx, project_id)?;
    insert(tx, project_id, &code, name, Some(prompt_key))
}

/// The project's `UNSORTED` shot, created when missing.
pub fn unsorted_shot(tx: &Tx<'_>, project_id: ProjectId) -> Result<ShotRow, CatalogError> {
    match shot_by_code(tx, project_id, UNSORTED_CODE)? {
        Some(s) => Ok(s),
        None => insert(tx, project_id, UNSORTED_CODE, "Unsorted", None),
    }
}

/// The next `SHnnn` code in steps of ten after the highest `SH` number that a shot holds
/// or a file name reserved.
fn next_free_code(conn: &dyn Sql, project_id: ProjectId) -> Result<String, CatalogError> {
    let highest = conn
        .query_map(
            "SELECT code FROM shots WHERE project_id = ?1
             UNION SELECT code FROM reserved_shot_codes WHERE project_id = ?1",
            params![project_id],
            |r| r.get::<String>(0),
        )?
        .into_iter()
        .filter_map(|c| {
            let digits: String = c
                .strip_prefix("SH")?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<u32>().ok()
        })
        .max()
        .unwrap_or(0);
    Ok(format!("SH{:03}", (highest / 10 + 1) * 10))
}

impl Catalog {
    /// Renames a shot. The name sticks: ingest never renames a shot.
    pub fn rename_shot(&mut self, shot_id: ShotId, name: &str) -> Result<ShotRow, CatalogError> {
        let name = name.trim().to_owned();
        if name.is_empty() {
            return Err(CatalogError::Invalid("a shot name cannot be empty".into()));
        }
        self.write(|tx| {
            let s = shot(tx, shot_id)?;
            let project_id = s.project_id;
            tx.execute(
                "UPDATE shots SET name = ?1, named_by_user = 1 WHERE id = ?2",
                params![name, s.id],
            )?;
            log_event(
                tx,
                project_id,
                EventKind::ShotRenamed,
                None,
                Some(s.id),
                None,
                &serde_json::json!({ "from": s.name, "to": name }),
            )?;
            shot(tx, s.id)
        })
    }

    /// Moves a shot to a 1-based `position` (clamped to the list), shifting the others.
    pub fn reorder_shot(
        &mut self,
        shot_id: ShotId,
        position: i64,
    ) -> Result<Vec<ShotRow>, CatalogError> {
        self.write(|tx| {
            let s = shot(tx, shot_id)?;
            let project_id = s.project_id;
            let mut ids: Vec<ShotId> = shots(tx, project_id)?.iter().map(|s| s.id).collect();
            ids.retain(|&id| id != s.id);
            let at = usize::try_from(position.max(1) - 1)
                .unwrap_or(0)
                .min(ids.len());
            ids.insert(at, s.id);
            for (i, id) in ids.iter().enumerate() {
                tx.execute(
                    "UPDATE shots SET position = ?1 WHERE id = ?2",
                    params![i as i64 + 1, id],
                )?;
            }
            log_event(
                tx,
                project_id,
                EventKind::ShotReordered,
                None,
                Some(s.id),
                None,
                &serde_json::json!({ "from": s.position, "to": at + 1 }),
            )?;
            shots(tx, project_id)
        })
    }
}
