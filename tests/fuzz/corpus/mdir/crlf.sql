create table a(x int);
select 1;select 2;
