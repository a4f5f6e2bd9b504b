// Package pgsql is RepliSQL's SQL layer: it turns PostgreSQL SQL into
// SQLite SQL.
//
// # Layers
//
//   - Parse (parse.go) parses a query string with pg_query_go (the real
//     PostgreSQL grammar), splits it into statements and classifies each
//     (Kind, Tag, ReadOnly, and the Txn/Set/Show/Copy/Cursor details the
//     session runs itself). Results are cached by query text in a bounded
//     LRU and shared between sessions.
//   - Statement.Plan (plan.go) translates one statement against a Schema by
//     walking the parse tree and writing SQLite SQL (select.go, expr.go,
//     funcs.go, dml.go, ddl.go); it infers parameter types and the
//     PostgreSQL types of the result columns. Plans are cached per
//     (statement, schema version, client parameter types).
//   - RegisterFunctions (sqlitefuncs.go) installs the SQLite functions the
//     translated SQL calls: pg_cast (casts and assignments), pg_div and
//     pg_mod (22012 on division by zero), pg_intchk (22003 on integer
//     overflow), pg_like, pg_regexp, pg_greatest/pg_least, pg_raise.
//     TranslateError maps their errors, and SQLite's constraint errors,
//     back to *pgerr.Error.
//
// # Invariants
//
//   - A statement classified ReadOnly MUST NOT change data. The tests run
//     every ReadOnly plan under PRAGMA query_only.
//   - A construct that cannot be translated faithfully MUST fail with
//     0A000 naming it, never run with a different meaning.
//   - Translated SQL MUST be deterministic given its bound arguments:
//     now(), current_user, … are not SQLite functions but session values
//     (Plan.Extra), bound after the client's parameters, so a WAL record of
//     (SQL, arguments) replays identically. A DEFAULT now() is stored as
//     pg_now(), which INSERT translation replaces by the transaction
//     timestamp; evaluating pg_now() inside SQLite is an error.
//   - All statements of Plan.SQL MUST run in one SQLite transaction (table
//     rebuilds for ALTER TABLE … ADD PRIMARY KEY are several statements).
//
// # Stored representations
//
// Values keep SQLite's own types so the database file stays an ordinary
// SQLite file: integers INTEGER, bool 0/1, float REAL, numeric INTEGER or
// REAL, text TEXT (char(n) blank-padded), bytea BLOB, uuid lower-case TEXT,
// date 'YYYY-MM-DD', timestamp 'YYYY-MM-DD HH:MM:SS[.ffffff]', timestamptz
// 'YYYY-MM-DD HH:MM:SS[.ffffff]+00' in UTC. Columns are declared with the
// canonical PostgreSQL type name ("integer", "character varying(20)",
// "timestamp with time zone") so the storage layer can report it; see
// TypeOID and ColumnTypes.
//
// # Sequences
//
// Sequences are rows of the table __replisql_sequences, so nextval() is
// ordinary DML that replays deterministically: a plan first advances each
// sequence by its number of call sites, then reads each call site's value
// (sequence.go). A serial column that is not the integer primary key gets
// the sequence <table>_<column>_seq and the stored default
// pg_nextval('…'), filled in by INSERT and COPY plans.
//
// # Triggers
//
// PL/pgSQL trigger functions are rows of __replisql_functions (their
// CREATE FUNCTION text); CREATE TRIGGER compiles a table's row triggers
// into SQLite triggers that carry their PostgreSQL definition in a
// comment, so sqlite_schema records which exist. NEW.col := … in BEFORE
// triggers becomes an AFTER "fixup" UPDATE by rowid; now() and the other
// session values in trigger bodies read __replisql_trigger_ctx, which
// the DML plan first sets from its bound values, so the WAL pins them
// and SQLite firing the triggers again on replay gives the same rows.
// Details and limits in trigger.go.
//
// # Annotations
//
// What a table's PostgreSQL definition says and SQLite's schema cannot
// hold — constraint names, the text pg_get_constraintdef prints for each
// CHECK, identity columns, COMMENT ON TABLE/COLUMN, WITH (…) storage
// parameters — is kept in the table __replisql_annotations, written by
// the DDL plan in the DDL's own transaction (so the WAL logs and replays
// it with the DDL) and loaded by the storage layer with the schema.
// annotate.go specifies the rows; checkdef.go prints a CHECK as
// PostgreSQL does. Type modifiers live in the declared type itself
// (declaredType), in a spelling SQLite's grammar accepts.
//
// # Hooks for the system catalogs
//
// References to pg_catalog.* and information_schema.* (and unqualified
// pg_* names that are not user tables) go through
// translator.catalogRelation: a Schema that also implements Catalog
// supplies them, one that implements CatalogFunctions supplies
// pg_catalog functions. Without them they fail with 0A000.
//
// # Unsupported, with 0A000
//
// currval/lastval, ALTER SEQUENCE, CYCLE sequences, nextval() where a
// call site runs for several rows (FROM, INSERT … SELECT into a serial
// column that is not the key); views and materialized views; temporary
// tables; arrays (types, ARRAY[...] outside = ANY, = ANY($1)); LATERAL;
// GROUPING SETS; window frames and named windows; interval values other
// than constants; time/timetz; age and numeric to_char; SIMILAR TO; MERGE; LISTEN and
// NOTIFY; EXPLAIN; PREPARE/EXECUTE statements; table inheritance and
// partitioning; ALTER COLUMN TYPE; rebuilding tables that have CHECK,
// REFERENCES or UNIQUE clauses or triggers; random() over joins or groups;
// functions other than PL/pgSQL trigger functions; statement-level,
// TRUNCATE and INSTEAD OF triggers; PL/pgSQL variables, loops, PERFORM,
// EXCEPTION blocks, RAISE below EXCEPTION, random() in trigger bodies;
// RETURNING and ON CONFLICT on tables whose BEFORE triggers assign NEW;
// TRUNCATE of tables with triggers.
package pgsql
