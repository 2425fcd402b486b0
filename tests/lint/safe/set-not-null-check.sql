-- Migration 1 of 2.
set local lock_timeout = '5s';
alter table users add constraint users_email_not_null check (email is not null) not valid;
