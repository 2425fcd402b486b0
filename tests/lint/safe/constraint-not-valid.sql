-- Migration 1 of 2: the constraints hold for new rows at once; no scan.
set local lock_timeout = '5s';
alter table orders add constraint orders_user_fk foreign key (user_id) references users (id) not valid;
alter table orders add constraint orders_total_check check (total >= 0) NOT VALID;
alter table orders add column coupon_id bigint;
