-- flux:no-transaction
set lock_timeout = '5s';
create index concurrently if not exists users_email_idx on users (email);
drop index concurrently if exists users_old_idx;
reindex index concurrently users_email_idx;
reindex (concurrently, verbose) table users;
