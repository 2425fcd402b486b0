create table users (id int);
create index on "Users" (id);
create index on users (id);
create index on public.users (id);
create index on "users" (id);
