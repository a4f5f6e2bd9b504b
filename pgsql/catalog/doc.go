// Package catalog emulates PostgreSQL 15's pg_catalog and
// information_schema over SQLite, without writing anything into the
// user's database file.
//
// # Mechanism
//
// Every SQLite connection attaches two in-memory databases named
// pg_catalog and information_schema (Attach). They hold ordinary SQLite
// tables with PostgreSQL 15's relation and column names (Relations,
// Lookup): pg_class, pg_attribute, pg_type, …, information_schema.columns,
// …. PostgreSQL views (pg_roles, pg_settings, information_schema.*) are
// tables here too. The translator emits schema-qualified references
// (pg_catalog.pg_class, information_schema.columns), which SQLite resolves
// to the attached databases.
//
// The rows come from two places:
//
//   - Fixed rows, written once per connection by Attach: the built-in types
//     (pg_type), access methods, collations, tablespaces, languages, the
//     plpgsql extension, a small pg_proc, PostgreSQL 15's pg_settings with
//     their descriptions and defaults, and the catalog relations themselves
//     in pg_class and pg_attribute (oids below 16384). They were recorded
//     from a PostgreSQL 15 server by testdata/record_data.sh into data/*.tsv
//     and are embedded.
//   - Schema rows, from a Snapshot (Fill): the user's tables, columns,
//     defaults, indexes, constraints, sequences of serial columns, comments,
//     the database, roles, the current settings, and the information_schema
//     rows about them. FromStore builds a Snapshot from store.Schema.
//
// # Lifecycle
//
//  1. RegisterFunctions, once per process, before connections are opened:
//     it registers the SQL functions below with the modernc.org/sqlite
//     driver (process-wide; connections opened earlier do not have them).
//     The package's init does it, as pgsql's init registers its own
//     functions; a name registered twice makes init panic.
//  2. Attach on each new connection, outside a transaction (SQLite refuses
//     ATTACH inside one) and with query_only off.
//  3. Fill (or FillSchema) when the connection's catalog is older than the
//     schema: after DDL commits, and inside a transaction that ran DDL.
//     Fill runs as one SAVEPOINT, so it works inside or outside a
//     transaction; on error the catalog is unchanged. Inside a transaction
//     the fill is part of it: a ROLLBACK undoes it, and the caller MUST then
//     consider that connection's catalog stale. A caller that tracks, per
//     connection, the Snapshot last filled can fill lazily: only when a
//     statement reads a catalog (the translator knows: it resolved a
//     catalog relation), and only the schema it reads (FillSchema).
//
// Cost (50 tables of 10 columns, 2 shared cores): building a Snapshot's
// rows and SQL, once per Snapshot, about 7 ms of CPU; Fill, per
// connection, about 8 ms of CPU (4.5 ms for pg_catalog alone), nearly all
// of it SQLite parsing the INSERTs; Attach about 6 ms. BenchmarkFill,
// BenchmarkFillSchema, BenchmarkBuild and BenchmarkAttach report
// cpu-ns/op, which a loaded machine distorts less than ns/op.
//
// # Invariants
//
//   - A Snapshot MUST NOT change after it is passed to Fill: its built form
//     is cached by pointer and the SQL functions keep reading it. Build a
//     new Snapshot for every schema version (and share it between
//     connections: the rows and SQL are built once per Snapshot).
//   - The catalog MUST NOT be written by anything but Attach and Fill. The
//     attached databases are in memory and private to the connection; they
//     are never replicated, logged or written to disk.
//   - Table oids are the storage layer's (store.Table.OID, 16384 + 2·rowid,
//     even). Every other user object (index without an oid of its own,
//     constraint, sequence, default, role other than the first) gets an oid
//     derived from a hash of (database, kind, table, name) in [2^30, 2^31):
//     stable for as long as the object keeps its name, the same on every
//     connection and every node, and distinct across databases. The first
//     user is role 10, as the bootstrap superuser; pg_database_owner is 6171;
//     the database is oid 5.
//   - Everything is in schema public (oid 2200); there are no temporary
//     schemas, toast tables, partitions, inheritance, policies, triggers,
//     rules, publications, extended statistics or user functions: those
//     catalogs exist and are empty.
//
// # Value representation
//
// Catalog columns are INTEGER (integer types, oid, xid and bool), REAL
// (float4, float8) or TEXT (everything else): a declared type such as
// "name" would give SQLite NUMERIC affinity. Booleans are 0 and 1; the
// translator types them bool (RelationColumn.TypeOID) so the wire prints t
// and f. "char" columns are one-character text ("" for PostgreSQL's
// zero byte, e.g. attidentity).
//
// Arrays (text[], oid[], name[], int2[] such as conkey, aclitem[], "char"[])
// are stored in PostgreSQL's text form, the form array_out prints and the
// text wire format carries: '{a,b}', '{1,2}', '{}', '{"a b",NULL}'.
// Elements are double-quoted when empty, when they spell NULL, or contain
// a comma, brace, quote, backslash or white space; a NULL element is the
// bare word NULL; only one dimension, lower bound 1. int2vector and
// oidvector (pg_index.indkey, indclass, pg_proc.proargtypes) are numbers
// separated by spaces, '1 2', as PostgreSQL prints them, subscripted from
// 0. Expressions (pg_attrdef.adbin, pg_constraint.conbin) are stored as
// the text PostgreSQL's pg_get_expr prints, so pg_get_expr returns its
// argument.
//
// # SQL functions
//
// RegisterFunctions registers, under PostgreSQL's names (the translator
// drops the pg_catalog. qualifier; Functions lists them with their result
// types): format_type, pg_get_userbyid, pg_table_is_visible,
// pg_type_is_visible, pg_function_is_visible, pg_get_indexdef (1 or 3
// arguments), pg_get_constraintdef (1 or 2), pg_get_expr (2 or 3),
// obj_description (1 or 2), col_description, shobj_description (NULL),
// pg_encoding_to_char, pg_size_pretty (bigint), pg_database_size,
// pg_get_function_sqlbody (NULL), pg_table_size,
// pg_relation_size, pg_total_relation_size, pg_indexes_size (the sizes the
// Snapshot gives, 0 when unknown; 8192 for a sequence), has_*_privilege
// and pg_has_role (true), pg_get_function_result, pg_get_function_arguments,
// pg_get_function_identity_arguments (for the pg_proc rows),
// pg_relation_is_publishable (true for user tables),
// pg_get_statisticsobjdef_columns, pg_get_partkeydef, pg_get_viewdef,
// pg_get_triggerdef, pg_get_ruledef (NULL), pg_get_serial_sequence,
// pg_partition_ancestors (as a scalar: the relation itself),
// array_to_string, current_schemas ('{pg_catalog,public}' or '{public}'),
// array_position, array_upper, array_lower, array_length, cardinality,
// quote_ident, pg_is_other_temp_schema (false), pg_my_temp_schema (0),
// txid_current and pg_current_xact_id (a process-wide counter, the only
// non-deterministic ones), pg_postmaster_start_time, to_regclass.
//
// And helpers of RepliSQL's own for what has no scalar PostgreSQL
// function: pg_regclass_in(text) (x::regclass of a string: the oid, 42P01
// for an unknown name), pg_regclass_out(oid), pg_regtype_out(oid),
// pg_regnamespace_out(oid), pg_regrole_out(oid) (an oid alias printed or
// cast to text), pg_array_elem(x) (one element quoted for the text form),
// pg_array_contains(array, x) (x = ANY(array), three-valued),
// pg_array_get(array, i) (array[i]), pg_array_json(array) (a JSON array,
// for unnest via json_each).
//
// A registered function sees only its arguments, not the connection, so
// the functions that need the schema (pg_get_indexdef,
// pg_get_constraintdef, obj_description, col_description, the sizes,
// pg_get_userbyid, pg_regclass_in/out, pg_get_serial_sequence) read a
// process-wide registry of the last Snapshot filled per database (an
// atomic pointer to a copy-on-write map; Fill updates it). They try the
// most recently filled Snapshot first, then the other databases', then
// the Uncommitted ones: a Snapshot of a transaction's own uncommitted DDL
// MUST be marked Uncommitted, so that filling it does not change what
// other connections' functions answer, while the transaction still finds
// its new indexes and constraints. Derived
// oids differ between databases, so index and constraint definitions are
// always exact; table oids do not, so in a process that serves two
// databases with different schemas at once (tests), obj_description and
// the sizes of a table follow the most recently filled database. The
// pure functions (format_type, pg_get_expr, the array functions, …)
// need no registry.
//
// # What the translator emits
//
// pgsql's hooks (pgsql.Catalog, pgsql.CatalogFunctions) map directly: a
// Schema wrapper answers CatalogRelation(schema, name) with
// Lookup(schema, name), r.SQL() and one pgsql.Column per r.Columns
// (TypeOID, TypeMod, TableOID r.OID, AttNum i+1), and
// CatalogFunction(name, nargs) with LookupFunction(name) when MinArgs <=
// nargs <= MaxArgs, returning f.Name (the SQLite name is the PostgreSQL
// name) and f.ResultOID.
//
// psql 15's \l, \l+, \dt, \dt+, \d, \d+, \di, \di+, \dn, \dn+, \du,
// \du+, \df, \dx, \d TABLE, \d+ TABLE, \d SEQUENCE, \d INDEX, pgbench's
// partition query and pgx's pg_class probe, translated this way, return
// what PostgreSQL 15 returns (TestGolden; queries_test.go holds each
// translation, testdata/queries.sql the original):
//
//   - pg_catalog.NAME, and an unqualified NAME that is not a user table but
//     is Lookup("", NAME), become pg_catalog."NAME"; information_schema.NAME
//     becomes information_schema."NAME". An unqualified name that is
//     neither a user table nor a pg_catalog relation MUST be an error
//     (42P01): SQLite would otherwise find information_schema's "tables"
//     or "columns". Result types come from Relation.Columns.
//   - pg_catalog.f(…) becomes f(…) for every registered function; the
//     result type is LookupFunction(f).ResultOID. true/false arguments are
//     1/0.
//   - OPERATOR(pg_catalog.~), ~, !~, ~*, !~* become the translator's
//     regular-expression function; COLLATE pg_catalog.default is dropped.
//   - 'literal'::pg_catalog.regclass becomes pg_regclass_in('literal') (or
//     the number itself when the literal is digits: psql sends
//     WHERE c.oid = '16416', which SQLite also compares correctly as is);
//     col::regclass printed, ordered by or cast to text becomes
//     pg_regclass_out(col) (typed regclass, 2205, or text); col::regtype →
//     pg_regtype_out(col); col::regnamespace::text → pg_regnamespace_out(col);
//     col::regrole → pg_regrole_out(col).
//   - ARRAY(SELECT e FROM …) becomes the group_concat of
//     pg_array_elem(e) over the subquery, between braces (shown below),
//     typed as e's array type; x = ANY(arr) becomes pg_array_contains(arr, x);
//     arr[i] becomes pg_array_get(arr, i); arr::int2[] (and any cast of an
//     array to an array type) is dropped; '{0}' compared with an array
//     column stays a text comparison.
//   - unnest(arr) AS x in FROM becomes
//     (SELECT value AS x FROM json_each(pg_array_json(arr))).
//     In psql's \d+ flags query the reloptions of the toast table are
//     always empty (there are no toast tables), so the whole
//     array_to_string(…) may become the one shown below.
//   - CROSS JOIN LATERAL (SELECT expr) AS o(n), a subquery without FROM
//     (pgbench's partition query), becomes expr wherever o.n is used.
//   - pg_catalog.pg_partition_ancestors(x) in a select list works as is;
//     pg_partition_ancestors(x) WITH ORDINALITY AS a(relid, depth) in FROM
//     (psql's trigger query, only reached for partition triggers) becomes
//     (SELECT pg_partition_ancestors(x) AS relid, 1 AS depth).
//     VALUES ('16385'::pg_catalog.regclass) becomes
//     VALUES (pg_regclass_in('16385')).
//   - E'\n' becomes char(10); false AS relhasoids becomes 0 typed bool;
//     string_agg(x, s) becomes group_concat(x, s); current_database() is
//     the session's database; generate_series as the translator does it
//     elsewhere (psql's publication query only reaches it for
//     pg_publication_rel rows, of which there are none).
//
// The two rewrites shown above:
//
//	ARRAY(SELECT e FROM t WHERE …)
//	  → (SELECT '{' || coalesce(group_concat(pg_array_elem(e), ','), '') || '}' FROM (SELECT e FROM t WHERE …))
//	array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', ')
//	  → coalesce(array_to_string(c.reloptions, ', '), '')
//
// Catalog array columns are text in SQLite; a client that asks for binary
// results of them (pgx's extended protocol does for text[], oid[], name[])
// needs the wire layer to encode the text form as a binary array.
//
// # Not emulated
//
// pg_attribute has no system columns (attnum < 0); pg_class rows of user
// tables have reltype 0 (no composite row types in pg_type) and no toast
// tables; information_schema.columns lists only user tables;
// pg_get_constraintdef's non-pretty form of a CHECK adds one pair of
// parentheses around the expression, where PostgreSQL parenthesizes every
// operator; names longer than 63 bytes are not truncated as PostgreSQL
// truncates them; an index column that is not a column name (an
// expression index) gets attnum 0 and type text, and indexprs stays NULL;
// DESC/NULLS FIRST index options are not represented (indoption is 0).
package catalog
