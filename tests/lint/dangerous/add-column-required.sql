set local lock_timeout = '5s';
alter table users add column tenant_id bigint not null;
ALTER  TABLE
    USERS
    ADD   Region TEXT NOT
    NULL;
