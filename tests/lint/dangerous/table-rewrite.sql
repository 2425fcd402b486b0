-- flux:no-transaction
vacuum full users;
vacuum (full, analyze) users;
cluster users using users_pkey;
