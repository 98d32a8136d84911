-- Takeboard catalog, schema version 4: one spelling for event kinds.
--
-- Event-log kinds were written in three spellings (`take-added`, `take_approved`,
-- `render.linked`); they are now `<subject>.<what>` (`domain::EventKind`). The log is
-- append-only, so its update guard is lifted for this one rewrite and put back.

DROP TRIGGER events_are_append_only_update;

UPDATE events SET kind = CASE kind
    WHEN 'project-created' THEN 'project.created'
    WHEN 'settings_saved' THEN 'project.settings_saved'
    WHEN 'shot-created' THEN 'shot.created'
    WHEN 'shot-recoded' THEN 'shot.recoded'
    WHEN 'shot-renamed' THEN 'shot.renamed'
    WHEN 'shot-reordered' THEN 'shot.reordered'
    WHEN 'take-added' THEN 'take.added'
    WHEN 'take-missing' THEN 'take.missing'
    WHEN 'take-restored' THEN 'take.restored'
    WHEN 'take-moved' THEN 'take.moved'
    WHEN 'take_approved' THEN 'take.approved'
    WHEN 'take_unapproved' THEN 'take.unapproved'
    WHEN 'status_changed' THEN 'take.status_changed'
    WHEN 'final_marked' THEN 'take.final_marked'
    WHEN 'final_cleared' THEN 'take.final_cleared'
    WHEN 'trim_set' THEN 'take.trim_set'
    WHEN 'note_added' THEN 'take.note_added'
    WHEN 'request_cancelled' THEN 'render.cancelled'
    ELSE kind
END;

CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
