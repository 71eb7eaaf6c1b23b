-- Every commit of an edit changes its map's `updated_at`, so this index cost a page write (and
-- a share of the fsync) per commit. The list of maps it served is short enough to sort as read.
DROP INDEX maps_by_updated_at;
