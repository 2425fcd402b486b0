set local lock_timeout = '5s';
create index users_email_idx on users (email);
CREATE UNIQUE INDEX IF NOT EXISTS users_name_idx ON ONLY public.users USING btree (name);
drop index users_old_idx;
reindex index users_pkey;
reindex (verbose) table users;
