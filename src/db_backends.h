/*
 * The backends built in, one line each: DB_BACKEND(name) names the struct
 * db_backend db_<name>_backend that src/db_<name>.c defines. The first is
 * the default. The Makefile's BACKENDS line must name the same ones (it
 * compiles and links them). Included only by db.h, with DB_BACKEND defined.
 */
DB_BACKEND(postgres)
