create table staging_users (id int, name text);
alter table staging_users rename column name to full_name;
alter table staging_users rename to users_v2;
alter table users_v2 add column email text not null;
