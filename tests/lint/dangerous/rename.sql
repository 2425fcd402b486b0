set local lock_timeout = '5s';
alter table users rename column name to full_name;
alter table users rename to customers;
alter table "Users" rename name to full_name;
