-- flux:no-transaction
select 1;
