set local lock_timeout = '5s';
alter table users drop column display_name;
