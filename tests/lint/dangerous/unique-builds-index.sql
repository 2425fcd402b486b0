set local lock_timeout = '5s';
alter table users add constraint users_email_key unique (email);
alter table users add primary key (id);
alter table users add unique (email) using index tablespace fast;
