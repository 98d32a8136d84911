-- Takeboard catalog, schema version 2: render requests know who is sending them, what
-- Luma may hold for an uncertain send, and that they were exported.
--
-- SQLite cannot change a CHECK constraint in place, so `render_requests` is rebuilt (no
-- table references it by foreign key; its indexes are recreated below).
--   * state 'exported': the body was written out to run elsewhere; never sent from here
--     until the user queues it again; its credits stay pending.
--   * owner_token / owner_pid / owner_host: the live process that claimed the row for a
--     send. The token names an OS file lock that the process holds while it lives
--     (`render::outbox::owner`); recovery turns a row `unknown` only once that lock is free.
--   * candidates_json / candidates_checked_at: the generations Luma listed that may be an
--     uncertain send's result, for the user to choose from without asking Luma again.

CREATE TABLE render_requests_v2 (
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
    body_json              TEXT NOT NULL,
    missing_json           TEXT NOT NULL DEFAULT '[]',
    credits_estimate       INTEGER NOT NULL,
    state                  TEXT NOT NULL DEFAULT 'queued'
                           CHECK (state IN ('queued', 'submitted', 'completed', 'failed',
                                            'cancelled', 'unknown', 'exported')),
    provider_generation_id TEXT,
    result_take_id         INTEGER REFERENCES takes(id),
    failure_reason         TEXT,
    idempotency_key        TEXT NOT NULL UNIQUE,
    attempts               INTEGER NOT NULL DEFAULT 0,
    created_at             TEXT NOT NULL,
    submitted_at           TEXT,
    finished_at            TEXT,
    updated_at             TEXT NOT NULL,
    owner_token            TEXT,
    owner_pid              INTEGER,
    owner_host             TEXT,
    candidates_json        TEXT,
    candidates_checked_at  TEXT,
    exported_at            TEXT
);

INSERT INTO render_requests_v2
    (id, project_id, shot_id, source_take_id, mode, model, resolution, duration_s,
     aspect_ratio, prompt, keyframes_json, concepts_json, body_json, missing_json,
     credits_estimate, state, provider_generation_id, result_take_id, failure_reason,
     idempotency_key, attempts, created_at, submitted_at, finished_at, updated_at)
SELECT id, project_id, shot_id, source_take_id, mode, model, resolution, duration_s,
     aspect_ratio, prompt, keyframes_json, concepts_json, body_json, missing_json,
     credits_estimate, state, provider_generation_id, result_take_id, failure_reason,
     idempotency_key, attempts, created_at, submitted_at, finished_at, updated_at
FROM render_requests;

DROP TABLE render_requests;
ALTER TABLE render_requests_v2 RENAME TO render_requests;

CREATE UNIQUE INDEX one_live_request_per_take
    ON render_requests (source_take_id) WHERE state NOT IN ('failed', 'cancelled');
CREATE INDEX requests_by_generation ON render_requests (provider_generation_id)
    WHERE provider_generation_id IS NOT NULL;
CREATE INDEX requests_by_state ON render_requests (project_id, state);
