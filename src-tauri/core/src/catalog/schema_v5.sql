-- Takeboard catalog, schema version 5: a render request's resolution is one Luma renders at.
--
-- `render_requests.resolution` is read as `domain::Resolution` (540p, 720p, 1080p, 4k). A
-- modify request used to record its source's resolution as the sidecar spelled it (`720P`,
-- or anything at all). A modify sends no resolution (Luma keeps the source's), so the
-- column only describes the request, and the body stays exactly what was sent: the
-- spelling is lower-cased, and a value Luma does not render at is recorded as 720p with
-- what it was added to the request's `missing` list.

UPDATE render_requests SET resolution = lower(trim(resolution));

UPDATE render_requests
SET missing_json = json_insert(
        CASE WHEN json_valid(missing_json) THEN missing_json ELSE '[]' END,
        '$[#]',
        'resolution: the source''s resolution ''' || resolution
            || ''' is not one Luma renders at; recorded as 720p'),
    resolution = '720p'
WHERE resolution NOT IN ('540p', '720p', '1080p', '4k');
