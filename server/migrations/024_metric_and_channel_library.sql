-- The library's metric definitions and channels (`app::domain::definitions`). Each row is the
-- definition as JSON: they are read whole, a few hundred at most, and never queried by field.
-- A map's target taken from a definition names it in `maps.targets` (its `metric`); channel
-- labels are applied where feedback and events arrive, so what is stored already uses them.
CREATE TABLE library_metrics (
    id         TEXT PRIMARY KEY NOT NULL,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE library_channels (
    id         TEXT PRIMARY KEY NOT NULL,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
