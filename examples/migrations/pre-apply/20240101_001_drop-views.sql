-- Repeatable: runs before every apply, so migrations may change the tables
-- the views read; post-apply creates the views again.
drop view if exists user_summary;
