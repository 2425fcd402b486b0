-- REFRESH MATERIALIZED VIEW CONCURRENTLY may run inside a transaction.
refresh materialized view concurrently order_totals;
