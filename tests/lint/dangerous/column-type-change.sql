set local lock_timeout = '5s';
alter table users alter column age type bigint;
alter table users alter age set data type numeric using age::numeric;
