set local lock_timeout = '5s';
alter table users add column age_big bigint;
alter table users alter column age set default 0, alter column age set statistics 100;
