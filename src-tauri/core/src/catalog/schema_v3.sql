-- Takeboard catalog, schema version 3: shot codes that file names use are the user's.
--
-- Every code a scan or the watcher reads from a file name is recorded here before any
-- automatic (prompt-grouped) shot gets a code, so an automatic shot never takes a code
-- that a file in the project's folders uses. A reservation outlives the file: a code that
-- came from the user's naming stays theirs.

CREATE TABLE reserved_shot_codes (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    code       TEXT NOT NULL,
    PRIMARY KEY (project_id, code)
) WITHOUT ROWID;

INSERT OR IGNORE INTO reserved_shot_codes (project_id, code)
    SELECT project_id, code FROM shots WHERE prompt_key IS NULL AND code <> 'UNSORTED';
