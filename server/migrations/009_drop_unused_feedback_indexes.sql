-- Two indexes that no query uses, kept up to date on every stored response: the inbox and
-- comment queries read `feedback_by_time` (their optional filters are parameters, so the
-- planner cannot pick an index by them). Each index on a time column takes a random page
-- per response when answers arrive out of time order (a CSV of last year's survey), and
-- those pages are what a bulk commit spends most of its time writing.
DROP INDEX feedback_detractors;
DROP INDEX feedback_by_card;
