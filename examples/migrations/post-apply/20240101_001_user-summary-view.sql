-- Repeatable: runs after every apply, so the view always matches the table.
create or replace view user_summary as
    select id, email, display_name from users;
