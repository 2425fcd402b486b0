-- flux:no-transaction
create index concurrently if not exists i on a(x);
vacuum a;
