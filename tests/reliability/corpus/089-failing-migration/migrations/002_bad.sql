insert into t1 values (1);
select * from no_such_table;
