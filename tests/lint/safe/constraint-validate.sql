-- Migration 2 of 2: VALIDATE scans under a lock that lets reads and writes on.
set local lock_timeout = '5s';
alter table orders validate constraint orders_user_fk;
alter table orders validate constraint orders_total_check;
