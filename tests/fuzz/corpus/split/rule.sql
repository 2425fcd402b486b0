create rule r as on insert to t do also (insert into u values (1); insert into v values (2));
select 1;
