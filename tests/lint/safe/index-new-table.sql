create table orders (id bigint primary key, user_id bigint);
create index orders_user_idx on orders (user_id);
create unique index on public.orders (id);
drop index orders_user_idx;
reindex table orders;
