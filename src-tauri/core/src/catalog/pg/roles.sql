-- The studio's group roles and what each may do, applied by `takeboard-cli db init` after
-- every migration (so tables added later get their grants too). Group roles belong to the
-- whole server, not one database: creating one that exists is not an error.
--
--   takeboard_editor    reads everything; reviews (statuses but approved, notes, trims,
--                       moves), scans folders, creates projects, appends events
--   takeboard_approver  editor, plus approving and unapproving: creates and cancels the
--                       paid render requests
--   takeboard_render    editor, plus running the outbox: sends, polls, resolves requests
--   takeboard_admin     approver, plus project settings (pricing, budget); may grant the
--                       other three roles to people
--
-- Nobody but the schema's owner may update, delete or truncate events (and its triggers
-- refuse even the owner); an approved status needs takeboard_approver (decisions_stamp).

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['takeboard_editor', 'takeboard_approver',
                                'takeboard_render', 'takeboard_admin'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', name);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END LOOP;
END $$;

GRANT takeboard_editor TO takeboard_approver, takeboard_render;
GRANT takeboard_approver TO takeboard_admin;
GRANT takeboard_editor, takeboard_approver, takeboard_render
    TO takeboard_admin WITH ADMIN OPTION;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION lock_project(bigint) FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO takeboard_editor;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO takeboard_editor;
GRANT EXECUTE ON FUNCTION lock_project(bigint) TO takeboard_editor;
GRANT INSERT ON projects, events TO takeboard_editor;
GRANT INSERT, UPDATE ON machines TO takeboard_editor;
GRANT INSERT, UPDATE, DELETE
    ON watched_folders, shots, reserved_shot_codes, takes, files, take_decisions, take_notes
    TO takeboard_editor;

GRANT INSERT, UPDATE ON render_requests TO takeboard_approver;
GRANT UPDATE ON render_requests TO takeboard_render;
GRANT UPDATE (name, settings_json) ON projects TO takeboard_admin;

REVOKE UPDATE, DELETE, TRUNCATE ON events
    FROM takeboard_editor, takeboard_approver, takeboard_render, takeboard_admin;
