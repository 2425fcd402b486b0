-- flux:no-transaction
vacuum (analyze) users;
vacuum (full false, verbose) users;
vacuum analyze users;
