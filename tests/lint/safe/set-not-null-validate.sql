-- Migration 2 of 2: with the check valid, SET NOT NULL skips its scan.
set local lock_timeout = '5s';
alter table users validate constraint users_email_not_null;
alter table users alter column email set not null;
alter table users drop constraint users_email_not_null;
alter table users alter column email drop not null;
