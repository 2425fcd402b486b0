set local lock_timeout = '5s';
alter table users alter column email set not null;
alter table users alter name set not null, alter column name drop default;
