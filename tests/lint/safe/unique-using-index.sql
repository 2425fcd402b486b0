-- flux:no-transaction
set lock_timeout = '5s';
create unique index concurrently if not exists users_email_idx on users (email);
alter table users add constraint users_email_key unique using index users_email_idx;
alter table users add constraint users_pkey primary key using index users_id_idx;
