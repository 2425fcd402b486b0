-- flux:no-transaction
begin;
create table t (id int);
commit;
