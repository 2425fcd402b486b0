-- create index i on users (a); vacuum full; commit;
/* alter table users drop column a; /* nested */ drop table users; */
select 'create index i on users (a); commit;';
select E'it\'s; drop table users;';
select $$ alter table users alter column a type int; $$;
select $body$ begin; commit; $body$;
select "commit", "drop" from "vacuum";
comment on table users is 'alter table users rename to x';
create function g() returns trigger language plpgsql as $$ begin alter table users drop column x; return new; end $$;
