-- flux:no-transaction
create function f() returns int as $body$ select 1; $bod$ language sql;
