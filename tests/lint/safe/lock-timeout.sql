SET LOCAL lock_timeout TO '2s';
alter table users add column bio text;
