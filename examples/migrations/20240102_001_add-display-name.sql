alter table users add column display_name text;
