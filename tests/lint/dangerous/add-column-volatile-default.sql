set local lock_timeout = '5s';
alter table users add column token uuid default gen_random_uuid();
alter table users add column n bigserial;
alter table users add column seq int default nextval('users_seq'::regclass);
alter table users add column ident int generated always as identity;
alter table users add column lower_email text generated always as (lower(email)) stored;
alter table users add column r float8 not null default (random() * 10);
alter table users add column t timestamptz default pg_catalog.clock_timestamp();
