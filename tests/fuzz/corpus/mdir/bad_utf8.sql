select 1;Ã(
