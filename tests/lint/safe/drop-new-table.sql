set local lock_timeout = '5s';
create table tmp_import (id int, legacy text);
alter table tmp_import drop column legacy;
drop table tmp_import;
alter table users drop constraint users_legacy_check;
