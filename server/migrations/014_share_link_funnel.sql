-- A share link or embed shows the measured funnel (journey analytics) only when its owner asked
-- for that when making it; links made before do not show it.
ALTER TABLE share_links ADD COLUMN show_funnel INTEGER NOT NULL DEFAULT 0;
