-- A share link shows the team's comments and customers' own words only when its owner asked
-- for that when making it (links made before stop showing them). An invitation can be bound to
-- the one address allowed to accept it.
ALTER TABLE share_links ADD COLUMN show_comments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE share_links ADD COLUMN show_customer_comments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invites ADD COLUMN email TEXT;
