-- flux:no-transaction
select 1;
select 'oops;
select 2;
