set local lock_timeout = 0;
alter table users add column bio text;
