set local lock_timeout = '5s';
alter table users add column tenant_id bigint;
alter table users add column "check" text check ("check" is not null);
alter table users add column region text not null default 'eu';
