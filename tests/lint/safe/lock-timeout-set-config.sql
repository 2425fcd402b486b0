select set_config('lock_timeout', '3s', true);
alter table users add column bio text;
