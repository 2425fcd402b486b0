create table t (id int);
savepoint s;
insert into t values (1);
rollback to savepoint s;
release savepoint s;
create function f() returns int language sql begin atomic select 1; end;
do $$ begin raise notice 'commit;'; end $$;
