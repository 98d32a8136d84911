-- Takeboard catalog, schema version 1.
-- Invariants kept by constraints: one take per content hash per project; one file row per
-- path; at most one live render request per source take; idempotency keys unique.

CREATE TABLE projects (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    -- JSON of ProjectSettings (pricing table, default mode/resolution, fps fallback, budget).
    settings_json TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL
);

CREATE TABLE watched_folders (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    UNIQUE (project_id, path)
);

CREATE TABLE shots (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    position      INTEGER NOT NULL,
    -- Normalized prompt that created this shot by prompt grouping (NULL otherwise).
    prompt_key    TEXT,
    -- 1 once the user renamed it: a rescan never renames it back.
    named_by_user INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    UNIQUE (project_id, code)
);
CREATE INDEX shots_by_prompt ON shots (project_id, prompt_key);

CREATE TABLE takes (
    id                INTEGER PRIMARY KEY,
    project_id        INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    shot_id           INTEGER NOT NULL REFERENCES shots(id),
    -- 1 once the user moved it: a rescan never regroups it.
    shot_set_by_user  INTEGER NOT NULL DEFAULT 0,
    -- 'blake3:<hex>'; NULL only for a file that could not be read at all.
    content_hash      TEXT,
    path              TEXT NOT NULL,           -- last known path (a present file's path when present)
    size              INTEGER NOT NULL,
    mtime_ns          INTEGER NOT NULL,
    duration_s        REAL,
    frames            INTEGER,
    fps_num           INTEGER,
    fps_den           INTEGER,
    width             INTEGER,
    height            INTEGER,
    codec             TEXT,
    has_audio         INTEGER,
    origin            TEXT NOT NULL DEFAULT 'unknown' CHECK (origin IN ('flash', 'standard', 'unknown')),
    generation_id     TEXT,
    prompt            TEXT,
    aspect_ratio      TEXT,
    resolution        TEXT,
    request_json      TEXT,                    -- raw Luma generation object from the sidecar (request, assets)
    sidecar_error     TEXT,                    -- a malformed sidecar, reported, never fatal
    error             TEXT,                    -- the file could not be read or probed
    presence          TEXT NOT NULL DEFAULT 'present' CHECK (presence IN ('present', 'missing')),
    first_seen_at     TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX takes_by_hash ON takes (project_id, content_hash) WHERE content_hash IS NOT NULL;
CREATE UNIQUE INDEX unreadable_takes_by_path ON takes (project_id, path) WHERE content_hash IS NULL;
CREATE INDEX takes_by_shot ON takes (shot_id);
CREATE INDEX takes_by_generation ON takes (generation_id) WHERE generation_id IS NOT NULL;

-- Every file currently on disk that holds a take's content (several paths may share one take).
CREATE TABLE files (
    id        INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES watched_folders(id) ON DELETE CASCADE,
    take_id   INTEGER NOT NULL REFERENCES takes(id) ON DELETE CASCADE,
    path      TEXT NOT NULL UNIQUE,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    inode     INTEGER NOT NULL DEFAULT 0,
    seen_at   TEXT NOT NULL
);
CREATE INDEX files_by_take ON files (take_id);

-- The editor's current decisions on a take (history is in events).
CREATE TABLE take_decisions (
    take_id    INTEGER PRIMARY KEY REFERENCES takes(id) ON DELETE CASCADE,
    status     TEXT NOT NULL DEFAULT 'unreviewed'
               CHECK (status IN ('unreviewed', 'selected', 'hold', 'rejected', 'approved')),
    is_final   INTEGER NOT NULL DEFAULT 0,
    trim_in    INTEGER,                        -- frames, inclusive
    trim_out   INTEGER,                        -- frames, exclusive
    decided_at TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    CHECK (trim_in IS NULL OR trim_out IS NULL OR trim_in < trim_out)
);

CREATE TABLE take_notes (
    id         INTEGER PRIMARY KEY,
    take_id    INTEGER NOT NULL REFERENCES takes(id) ON DELETE CASCADE,
    frame      INTEGER NOT NULL CHECK (frame >= 0),
    text       TEXT NOT NULL,
    author     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notes_by_take ON take_notes (take_id, frame);

CREATE TABLE render_requests (
    id                     INTEGER PRIMARY KEY,
    project_id             INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    shot_id                INTEGER NOT NULL REFERENCES shots(id),
    source_take_id         INTEGER NOT NULL REFERENCES takes(id),
    mode                   TEXT NOT NULL CHECK (mode IN ('regenerate', 'modify', 'upscale')),
    model                  TEXT NOT NULL,
    resolution             TEXT NOT NULL,
    duration_s             INTEGER NOT NULL,
    aspect_ratio           TEXT,
    prompt                 TEXT,
    keyframes_json         TEXT,
    concepts_json          TEXT,
    body_json              TEXT NOT NULL,      -- exactly what is sent to the provider
    missing_json           TEXT NOT NULL DEFAULT '[]', -- what was not known when promoting
    credits_estimate       INTEGER NOT NULL,
    state                  TEXT NOT NULL DEFAULT 'queued'
                           CHECK (state IN ('queued', 'submitted', 'completed', 'failed', 'cancelled', 'unknown')),
    provider_generation_id TEXT,
    result_take_id         INTEGER REFERENCES takes(id),
    failure_reason         TEXT,
    idempotency_key        TEXT NOT NULL UNIQUE,
    attempts               INTEGER NOT NULL DEFAULT 0,
    created_at             TEXT NOT NULL,
    submitted_at           TEXT,
    finished_at            TEXT,
    updated_at             TEXT NOT NULL
);
CREATE UNIQUE INDEX one_live_request_per_take
    ON render_requests (source_take_id) WHERE state NOT IN ('failed', 'cancelled');
CREATE INDEX requests_by_generation ON render_requests (provider_generation_id)
    WHERE provider_generation_id IS NOT NULL;

-- Append-only record of every decision.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    take_id     INTEGER,
    shot_id     INTEGER,
    request_id  INTEGER,
    detail_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
