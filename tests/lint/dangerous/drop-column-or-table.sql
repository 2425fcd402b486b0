set local lock_timeout = '5s';
alter table users drop column legacy;
drop table if exists old_sessions;
