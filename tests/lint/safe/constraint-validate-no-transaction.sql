-- flux:no-transaction
set lock_timeout = '5s';
alter table orders add constraint orders_user_fk foreign key (user_id) references users (id) not valid;
alter table orders validate constraint orders_user_fk;
