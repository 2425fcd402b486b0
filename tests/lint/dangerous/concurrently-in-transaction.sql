set local lock_timeout = '5s';
create index concurrently users_name_idx on users (name);
drop index concurrently users_old_idx;
reindex index concurrently users_name_idx;
alter table orders detach partition orders_2020 concurrently;
