set local lock_timeout = '5s';
alter table orders add constraint orders_user_fk foreign key (user_id) references users (id);
alter table orders add constraint orders_total_check check (total >= 0);
alter table orders add column coupon_id bigint references coupons (id);
alter table orders add foreign key (user_id) references users (id) on delete cascade;
