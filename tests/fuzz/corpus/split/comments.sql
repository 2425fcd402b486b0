/* outer /* nested ; */ still; */ select 1; -- trailing ; comment
select 2