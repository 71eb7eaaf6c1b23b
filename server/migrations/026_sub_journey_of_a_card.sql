-- A sub-journey may detail one card of its parent map rather than a whole stage
-- (`app::domain::hierarchy::MapLink::card`). A card the parent no longer has leaves the link
-- on the stage it was on when linked.
ALTER TABLE map_links ADD COLUMN card_id TEXT;
