create function f() returns int language sql
begin atomic
  select case when true then 1 else 2 end;
  select 3;
end;
create procedure p() begin atomic insert into t values (1); end;
select 4;
