set local lock_timeout = '5s';
alter table users add column active boolean not null default true;
alter table users add column created_at timestamptz not null default now();
alter table users add column note text default 'random()';
alter table users add column token uuid;
alter table users alter column token set default gen_random_uuid();
alter table users add column random int default 0;
