-- A nullable column is cheap, but the ALTER waits for its lock with no limit.
alter table users add column bio text;
alter table users add column avatar text;
