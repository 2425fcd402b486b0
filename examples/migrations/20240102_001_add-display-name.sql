-- If a long transaction holds users, give up after 5 s instead of making
-- every query on users wait behind this ALTER (see `flux lint`).
set local lock_timeout = '5s';
alter table users add column display_name text;
