begin;
create table t (id int);
commit;
start transaction;
rollback;
end;
