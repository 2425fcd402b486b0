create table t1 (x int);
