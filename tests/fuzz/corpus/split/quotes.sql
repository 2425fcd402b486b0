select 'it''s; here', E'a\'; b', "we;ird";
select $$ a ; b $$, $tag$ x; $$ ; $tag$;
