//! Takes (one per content hash) and the files that currently hold them.
//!
//! A take's identity is its content hash: a renamed or moved file keeps its take, a take
//! whose last file disappears is `missing` and comes back, decisions intact, when the same
//! content reappears. Ingest writes here through [`TakeRecord`]; the user's moves go
//! through [`Catalog::move_take`] and stick.

use super::shots::{ensure_shot_by_code, shot};
use super::sql::{params, DbError, Named, Row, Sql, SqlExt, ToValue, Tx, Value};
use super::{log_event, now_text, Catalog, CatalogError};
use crate::domain::{
    EventKind, FileFacts, GenerationFacts, MediaInfo, Presence, ProjectId, Rate, ShotId, TakeFacts,
    TakeId, TakeStatus,
};
use std::path::PathBuf;

/// Everything the catalog knows about one take, with its current decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct TakeRow {
    /// Row id (stable across renames and moves).
    pub id: TakeId,
    /// Project.
    pub project_id: ProjectId,
    /// Shot it belongs to.
    pub shot_id: ShotId,
    /// Code of that shot.
    pub shot_code: String,
    /// Its file as last indexed (last known path).
    pub file: FileFacts,
    /// How it was generated.
    pub generation: GenerationFacts,
    /// On disk or not.
    pub presence: Presence,
    /// The editor's status.
    pub status: TakeStatus,
    /// Marked final.
    pub is_final: bool,
    /// Trim in (frames, inclusive).
    pub trim_in: Option<u64>,
    /// Trim out (frames, exclusive).
    pub trim_out: Option<u64>,
}

/// What ingest learned about a file, to record as a take.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TakeRecord {
    /// The file.
    pub file: FileFacts,
    /// Modification time (ns since the epoch).
    pub mtime_ns: i64,
    /// Inode (file id), 0 when unknown.
    pub inode: u64,
    /// How it was generated (sidecar, name).
    pub generation: GenerationFacts,
}

/// A file row: one path that currently holds a take's content.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    /// Row id.
    pub id: i64,
    /// Watched folder.
    pub folder_id: i64,
    /// Take.
    pub take_id: TakeId,
    /// Absolute path.
    pub path: PathBuf,
    /// Size when indexed.
    pub size: u64,
    /// Modification time when indexed (ns).
    pub mtime_ns: i64,
    /// Inode when indexed.
    pub inode: u64,
    /// Whether the take it holds has a content hash (`false`: the file was unreadable).
    pub take_hashed: bool,
}

const TAKE_SELECT: &str =
    "SELECT t.id, t.project_id, t.shot_id, s.code, t.content_hash, t.path, t.size,
        t.duration_s, t.frames, t.fps_num, t.fps_den, t.width, t.height, t.codec, t.has_audio,
        t.origin, t.generation_id, t.prompt, t.aspect_ratio, t.resolution, t.request_json,
        t.sidecar_error, t.error, t.presence,
        COALESCE(d.status, 'unreviewed'), COALESCE(d.is_final, 0), d.trim_in, d.trim_out
     FROM takes t JOIN shots s ON s.id = t.shot_id LEFT JOIN take_decisions d ON d.take_id = t.id";

fn take_from_row(r: &Row) -> Result<TakeRow, DbError> {
    let frames: Option<i64> = r.get(8)?;
    let fps = match (r.get::<Option<u32>>(9)?, r.get::<Option<u32>>(10)?) {
        (Some(n), Some(d)) => Rate::new(n, d),
        _ => None,
    };
    let media = match (r.get::<Option<f64>>(7)?, frames, fps) {
        (Some(duration_s), Some(frames), Some(fps)) => Some(MediaInfo {
            duration_s,
            frames: frames as u64,
            fps,
            width: r.get(11)?,
            height: r.get(12)?,
            codec: r.get(13)?,
            has_audio: r.get(14)?,
        }),
        _ => None,
    };
    Ok(TakeRow {
        id: r.get(0)?,
        project_id: r.get(1)?,
        shot_id: r.get(2)?,
        shot_code: r.get(3)?,
        file: FileFacts {
            content_hash: r.get(4)?,
            path: PathBuf::from(r.get::<String>(5)?),
            size: r.get::<i64>(6)? as u64,
            media,
            sidecar_error: r.get(21)?,
            error: r.get(22)?,
        },
        generation: GenerationFacts {
            origin: r.parse(15)?,
            generation_id: r.get(16)?,
            prompt: r.get(17)?,
            aspect_ratio: r.get(18)?,
            resolution: r.get(19)?,
            request_json: r.get(20)?,
        },
        presence: r.parse(23)?,
        status: r.parse(24)?,
        is_final: r.get(25)?,
        trim_in: r.get::<Option<i64>>(26)?.map(|v| v as u64),
        trim_out: r.get::<Option<i64>>(27)?.map(|v| v as u64),
    })
}

/// One take.
pub fn take(conn: &dyn Sql, id: TakeId) -> Result<TakeRow, CatalogError> {
    conn.query_opt(
        &format!("{TAKE_SELECT} WHERE t.id = ?1"),
        params![id],
        take_from_row,
    )?
    .ok_or_else(|| CatalogError::NotFound(format!("no take with id {id}")))
}

/// The project's takes in shot-list order (then oldest first), optionally of one shot.
pub fn takes(
    conn: &dyn Sql,
    project_id: ProjectId,
    shot_id: Option<ShotId>,
) -> Result<Vec<TakeRow>, CatalogError> {
    Ok(conn.query_map(
        &format!(
            "{TAKE_SELECT} WHERE t.project_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR t.shot_id = ?2)
         ORDER BY s.position, t.id"
        ),
        params![project_id, shot_id],
        take_from_row,
    )?)
}

/// What render-request building needs to know about a take, `None` when the id is unknown.
pub fn take_facts(conn: &dyn Sql, take_id: TakeId) -> Result<Option<TakeFacts>, CatalogError> {
    let row = match take(conn, take_id) {
        Ok(row) => row,
        Err(CatalogError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let path = &row.file.path;
    let file_name = path
        .file_name()
        .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy())
        .into_owned();
    // A stored request that is not valid JSON is treated as absent: the sidecar problem is
    // already reported on the take (`sidecar_error`).
    let stored_json = row
        .generation
        .request_json
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    let media = row.file.media.as_ref();
    Ok(Some(TakeFacts {
        take_id: row.id,
        file_name,
        duration_s: media.map(|m| m.duration_s),
        width: media.map(|m| m.width),
        height: media.map(|m| m.height),
        stored_json,
        generation: row.generation,
    }))
}

/// The take holding this content in the project, if any.
pub fn take_id_by_hash(
    conn: &dyn Sql,
    project_id: ProjectId,
    hash: &str,
) -> Result<Option<TakeId>, CatalogError> {
    Ok(conn.query_opt(
        "SELECT id FROM takes WHERE project_id = ?1 AND content_hash = ?2",
        params![project_id, hash],
        |r| r.get(0),
    )?)
}

fn file_from_row(r: &Row) -> Result<FileRow, DbError> {
    Ok(FileRow {
        id: r.get(0)?,
        folder_id: r.get(1)?,
        take_id: r.get(2)?,
        path: PathBuf::from(r.get::<String>(3)?),
        size: r.get::<i64>(4)? as u64,
        mtime_ns: r.get(5)?,
        inode: r.get::<i64>(6)? as u64,
        take_hashed: r.get(7)?,
    })
}

const FILE_SELECT: &str =
    "SELECT f.id, f.folder_id, f.take_id, f.path, f.size, f.mtime_ns, f.inode,
        t.content_hash IS NOT NULL
     FROM files f JOIN takes t ON t.id = f.take_id";

/// The file row at this path.
pub fn file_by_path(conn: &dyn Sql, path: &str) -> Result<Option<FileRow>, CatalogError> {
    Ok(conn.query_opt(
        &format!("{FILE_SELECT} WHERE f.path = ?1"),
        params![path],
        file_from_row,
    )?)
}

/// Every file row of a watched folder.
pub fn files_in_folder(conn: &dyn Sql, folder_id: i64) -> Result<Vec<FileRow>, CatalogError> {
    Ok(conn.query_map(
        &format!("{FILE_SELECT} WHERE f.folder_id = ?1"),
        params![folder_id],
        file_from_row,
    )?)
}

/// A file row of the project with this stamp whose path is gone: the same file renamed.
pub fn file_by_stamp(
    conn: &dyn Sql,
    project_id: ProjectId,
    size: u64,
    mtime_ns: i64,
    inode: u64,
) -> Result<Vec<FileRow>, CatalogError> {
    Ok(conn.query_map(
        &format!(
            "{FILE_SELECT} WHERE f.inode = ?1 AND f.inode != 0 AND f.size = ?2 AND f.mtime_ns = ?3
           AND f.folder_id IN (SELECT id FROM watched_folders WHERE project_id = ?4)"
        ),
        params![inode as i64, size as i64, mtime_ns, project_id],
        file_from_row,
    )?)
}

/// Inserts a new take in `shot_id` with an `unreviewed` decision; returns its id.
pub fn insert_take(
    tx: &Tx<'_>,
    project_id: ProjectId,
    shot_id: ShotId,
    rec: &TakeRecord,
) -> Result<TakeId, CatalogError> {
    let now = now_text();
    let mut values = record_values(rec)?;
    values.push((":project_id", project_id.to_value()));
    values.push((":shot_id", shot_id.to_value()));
    values.push((":content_hash", rec.file.content_hash.to_value()));
    values.push((":now", now.to_value()));
    let insert = Named::new(
        "INSERT INTO takes (project_id, shot_id, content_hash, path, size, mtime_ns,
            duration_s, frames, fps_num, fps_den, width, height, codec, has_audio,
            origin, generation_id, prompt, aspect_ratio, resolution, request_json,
            sidecar_error, error, presence, first_seen_at, updated_at)
         VALUES (:project_id, :shot_id, :content_hash, :path, :size, :mtime_ns,
            :duration_s, :frames, :fps_num, :fps_den, :width, :height, :codec, :has_audio,
            :origin, :generation_id, :prompt, :aspect_ratio, :resolution, :request_json,
            :sidecar_error, :error, 'present', :now, :now)
         RETURNING id",
        values,
    )?;
    let id: TakeId = tx.query_row(insert.sql(), &insert.params(), |r| r.get(0))?;
    tx.execute(
        "INSERT INTO take_decisions (take_id, status, decided_at, decided_by)
         VALUES (?1, 'unreviewed', ?2, 'takeboard')",
        params![id, now],
    )?;
    Ok(id)
}

/// Refreshes what ingest knows about an existing take (path, size, sidecar facts, errors)
/// and marks it present. Never touches its shot or decisions.
pub fn refresh_take(tx: &Tx<'_>, take_id: TakeId, rec: &TakeRecord) -> Result<(), CatalogError> {
    let mut values = record_values(rec)?;
    values.push((":take_id", take_id.to_value()));
    values.push((":now", now_text().to_value()));
    let update = Named::new(
        "UPDATE takes SET path = :path, size = :size, mtime_ns = :mtime_ns,
            duration_s = COALESCE(:duration_s, duration_s), frames = COALESCE(:frames, frames),
            fps_num = COALESCE(:fps_num, fps_num), fps_den = COALESCE(:fps_den, fps_den),
            width = COALESCE(:width, width), height = COALESCE(:height, height),
            codec = COALESCE(:codec, codec), has_audio = COALESCE(:has_audio, has_audio),
            origin = :origin,
            generation_id = COALESCE(:generation_id, generation_id),
            prompt = COALESCE(:prompt, prompt),
            aspect_ratio = COALESCE(:aspect_ratio, aspect_ratio),
            resolution = COALESCE(:resolution, resolution),
            request_json = COALESCE(:request_json, request_json),
            sidecar_error = :sidecar_error, error = :error,
            presence = 'present', updated_at = :now
         WHERE id = :take_id",
        values,
    )?;
    tx.execute(update.sql(), &update.params())?;
    Ok(())
}

/// A value bound to a named SQL parameter.
type NamedValue = (&'static str, Value);

/// What ingest writes for a take's file and generation, by parameter name: the one list
/// `insert_take` and `refresh_take` both bind.
fn record_values(rec: &TakeRecord) -> Result<Vec<NamedValue>, CatalogError> {
    let m = rec.file.media.as_ref();
    let g = &rec.generation;
    Ok(vec![
        (":path", path_text(&rec.file.path)?.to_value()),
        (":size", rec.file.size.to_value()),
        (":mtime_ns", rec.mtime_ns.to_value()),
        (":duration_s", m.map(|m| m.duration_s).to_value()),
        (":frames", m.map(|m| m.frames as i64).to_value()),
        (":fps_num", m.map(|m| m.fps.num).to_value()),
        (":fps_den", m.map(|m| m.fps.den).to_value()),
        (":width", m.map(|m| m.width).to_value()),
        (":height", m.map(|m| m.height).to_value()),
        (":codec", m.map(|m| m.codec.clone()).to_value()),
        (":has_audio", m.map(|m| m.has_audio).to_value()),
        (":origin", g.origin.as_str().to_value()),
        (":generation_id", g.generation_id.to_value()),
        (":prompt", g.prompt.to_value()),
        (":aspect_ratio", g.aspect_ratio.to_value()),
        (":resolution", g.resolution.to_value()),
        (":request_json", g.request_json.to_value()),
        (":sidecar_error", rec.file.sidecar_error.to_value()),
        (":error", rec.file.error.to_value()),
    ])
}

/// Forgets the file row of a path that was renamed away (its take keeps its other rows).
pub fn forget_renamed_file(tx: &Tx<'_>, file_id: i64) -> Result<(), CatalogError> {
    tx.execute("DELETE FROM files WHERE id = ?1", params![file_id])?;
    Ok(())
}

/// The take of `project_id` recorded at `path` without content (its file was unreadable).
pub fn unhashed_take_at(
    conn: &dyn Sql,
    project_id: ProjectId,
    path: &str,
) -> Result<Option<TakeId>, CatalogError> {
    Ok(conn.query_opt(
        "SELECT id FROM takes WHERE project_id = ?1 AND path = ?2 AND content_hash IS NULL",
        params![project_id, path],
        |r| r.get(0),
    )?)
}

/// Records that `path` (in `folder_id`) holds take `take_id`, replacing any earlier row
/// for that path.
pub fn put_file(
    tx: &Tx<'_>,
    folder_id: i64,
    take_id: TakeId,
    rec: &TakeRecord,
) -> Result<(), CatalogError> {
    tx.execute(
        "INSERT INTO files (folder_id, take_id, path, size, mtime_ns, inode, seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (path) DO UPDATE SET folder_id = excluded.folder_id,
            take_id = excluded.take_id, size = excluded.size, mtime_ns = excluded.mtime_ns,
            inode = excluded.inode, seen_at = excluded.seen_at",
        params![
            folder_id,
            take_id,
            path_text(&rec.file.path)?,
            rec.file.size as i64,
            rec.mtime_ns,
            rec.inode as i64,
            now_text()
        ],
    )?;
    Ok(())
}

/// Forgets the file row at `path`. When it was the take's last file, the take becomes
/// `missing` (returns `true`); otherwise the take's path moves to one of its other files.
pub fn remove_file(tx: &Tx<'_>, file: &FileRow) -> Result<bool, CatalogError> {
    tx.execute("DELETE FROM files WHERE id = ?1", params![file.id])?;
    let other: Option<String> = tx.query_opt(
        "SELECT path FROM files WHERE take_id = ?1 ORDER BY id LIMIT 1",
        params![file.take_id],
        |r| r.get(0),
    )?;
    match other {
        Some(p) => {
            tx.execute(
                "UPDATE takes SET path = ?2, updated_at = ?3 WHERE id = ?1",
                params![file.take_id, p, now_text()],
            )?;
            Ok(false)
        }
        None => {
            tx.execute(
                "UPDATE takes SET presence = 'missing', updated_at = ?2 WHERE id = ?1",
                params![file.take_id, now_text()],
            )?;
            Ok(true)
        }
    }
}

/// The file a present take is served from (its first file) and that file's stamp as
/// indexed, for the media server to check it serves exactly those bytes.
pub fn present_file(
    conn: &dyn Sql,
    take_id: TakeId,
) -> Result<Option<(PathBuf, crate::hash::FileStamp)>, CatalogError> {
    let file = conn.query_opt(
        &format!("{FILE_SELECT} WHERE f.take_id = ?1 ORDER BY f.id LIMIT 1"),
        params![take_id],
        file_from_row,
    )?;
    Ok(file.map(|f| {
        let stamp = crate::hash::FileStamp {
            size: f.size,
            mtime_ns: f.mtime_ns,
            inode: f.inode,
        };
        (f.path, stamp)
    }))
}

/// Deletes a take (and its decisions) unless something refers to it: a note, or a render
/// request it is the source or the result of. Returns whether it was deleted. Nothing the
/// user wrote is ever cascaded away, and a request never loses its take.
pub fn drop_unused_take(tx: &Tx<'_>, take_id: TakeId) -> Result<bool, CatalogError> {
    let referenced: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM take_notes WHERE take_id = ?1)
             OR EXISTS (SELECT 1 FROM render_requests
                        WHERE source_take_id = ?1 OR result_take_id = ?1)",
        params![take_id],
        |r| r.get(0),
    )?;
    if referenced {
        return Ok(false);
    }
    tx.execute(
        "DELETE FROM take_decisions WHERE take_id = ?1",
        params![take_id],
    )?;
    tx.execute("DELETE FROM takes WHERE id = ?1", params![take_id])?;
    Ok(true)
}

/// The path as stored: paths are UTF-8 text in the catalog.
pub fn path_text(path: &std::path::Path) -> Result<&str, CatalogError> {
    path.to_str()
        .ok_or_else(|| CatalogError::Invalid(format!("{} is not valid UTF-8", path.display())))
}

impl Catalog {
    /// Moves a take to the shot `code` (created if missing). The move sticks: rescans
    /// never regroup a take the user placed.
    pub fn move_take(&mut self, take_id: TakeId, code: &str) -> Result<TakeRow, CatalogError> {
        let code = code.to_owned();
        self.write(|tx| {
            let t = take(tx, take_id)?;
            let to = ensure_shot_by_code(tx, t.project_id, &code)?;
            let from = shot(tx, t.shot_id)?;
            tx.execute(
                "UPDATE takes SET shot_id = ?2, shot_set_by_user = 1, updated_at = ?3 WHERE id = ?1",
                params![take_id, to.id, now_text()],
            )?;
            log_event(
                tx,
                t.project_id,
                EventKind::TakeMoved,
                Some(take_id),
                Some(to.id),
                None,
                &serde_json::json!({ "from": from.code, "to": to.code }),
            )?;
            take(tx, take_id)
        })
    }
}
