package catalog

import "time"

// Snapshot is what the catalog is built from: the user's tables as the
// storage layer sees them, plus the few facts about the server that
// pg_database, pg_roles and pg_settings show. The caller builds it from
// store.Schema (catalog does not import store). A Snapshot MUST NOT be
// modified after it is passed to Fill: the SQL functions keep reading it.
type Snapshot struct {
	// Database is the served database's name (pg_database.datname,
	// information_schema.*_catalog, current_database()).
	Database string
	// Users are the role names known to the server. The first one owns
	// every object and gets oid 10, as the bootstrap superuser does in
	// PostgreSQL; all are superusers. Empty means "postgres".
	Users []string
	// Tables are the user's tables, all in schema public.
	Tables []Table
	// Sequences are stand-alone sequences (CREATE SEQUENCE). The sequences
	// of serial columns are derived from the columns and MUST NOT be
	// listed here.
	Sequences []Sequence
	// Settings are the current run-time parameters by lower-case name; the
	// rest of pg_settings shows PostgreSQL 15's defaults.
	Settings map[string]string
	// StartTime is pg_postmaster_start_time(); zero means the time the
	// process started.
	StartTime time.Time
	// Uncommitted marks a snapshot of a transaction's own view, with DDL
	// it has not committed. Filling it does not make it what other
	// connections' SQL functions answer from: they consult it only for
	// objects no committed snapshot has (the transaction's new indexes and
	// constraints, whose derived oids no other connection can know).
	Uncommitted bool
}

// Table is one user table.
type Table struct {
	Name string
	// OID is the table's oid as the rest of the server reports it
	// (RowDescription's table OID); store.Table.OID.
	OID     uint32
	Columns []Column
	// Indexes include the indexes of the primary key and of UNIQUE
	// constraints, with Constraint set: PostgreSQL lists a constraint and
	// its index under the same name. An index named like SQLite's
	// automatic indexes (sqlite_autoindex_…) is renamed as PostgreSQL
	// would name it (t_pkey, t_col_key).
	Indexes []Index
	// Constraints are the FOREIGN KEY and CHECK constraints. (PRIMARY KEY
	// and UNIQUE come from Indexes; NOT NULL is not a constraint in
	// PostgreSQL 15.)
	Constraints []Constraint
	// Options are the storage parameters, e.g. "fillfactor=100"
	// (pg_class.reloptions).
	Options []string
	Comment string // COMMENT ON TABLE
	// Size is the table's size in bytes for pg_table_size and
	// pg_relation_size; 0 when unknown.
	Size int64
	// Rows is the estimated row count (pg_class.reltuples,
	// pg_stat_user_tables.n_live_tup); 0 means unknown and is reported as
	// -1, as PostgreSQL reports a table never analyzed.
	Rows float64

	// fkNames are the names of named foreign keys by their columns
	// (keyOf), from FromStore for AddForeignKeys.
	fkNames map[string]string
}

// Column is one column of a user table.
type Column struct {
	Name string
	// Type is the declared PostgreSQL type: "integer", "int",
	// "varchar(40)", "character(84)", "numeric(10,2)", "timestamptz",
	// "serial", "bigserial", "text[]". A serial type implies a sequence
	// named TABLE_COLUMN_seq, a default nextval('…'::regclass) and NOT
	// NULL, as in PostgreSQL.
	Type string
	// TypeOID and TypeMod override the type parsed from Type when
	// TypeOID is not 0.
	TypeOID uint32
	TypeMod int32
	NotNull bool
	// Default is the default expression as PostgreSQL prints it
	// (pg_get_expr): "0", "now()", "'abc'::bpchar", "false". "" means no
	// default.
	Default string
	// Identity is 'a' (GENERATED ALWAYS AS IDENTITY), 'd' (BY DEFAULT) or
	// 0. An identity column gets a sequence but no default, as in
	// PostgreSQL.
	Identity byte
	// Serial marks a serial column whose Type is the underlying integer
	// type ("integer" with a rowid-backed sequence); a Type spelled
	// "serial"/"bigserial"/"smallserial" implies it.
	Serial  bool
	Comment string // COMMENT ON COLUMN
}

// Index is one index.
type Index struct {
	Name string
	// OID is the index's oid; 0 lets the catalog derive one.
	OID     uint32
	Columns []string // column names in index order
	Unique  bool
	// Primary is the primary key's index.
	Primary bool
	// Constraint is true when the index implements a PRIMARY KEY or
	// UNIQUE constraint of the same name (false for CREATE UNIQUE INDEX).
	Constraint bool
	// Method is the access method; "" means btree.
	Method string
	Size   int64 // bytes, for pg_indexes_size; 0 when unknown
}

// Constraint is a FOREIGN KEY or CHECK constraint.
type Constraint struct {
	// Name is the constraint's name; "" means PostgreSQL's default
	// (t_col_fkey, t_col_check).
	Name string
	// Type is 'f' (foreign key) or 'c' (check). 'p' and 'u' are accepted
	// too and become an index with Constraint set.
	Type    byte
	Columns []string
	// Foreign key: the referenced table and columns ("" and nil: its
	// primary key), and the actions as in pg_constraint: 'a' no action
	// (the default), 'r' restrict, 'c' cascade, 'n' set null, 'd' set
	// default.
	RefTable   string
	RefColumns []string
	OnUpdate   byte
	OnDelete   byte
	// Check is the CHECK expression as PostgreSQL prints it, without
	// "CHECK" and the outer parentheses: "bid > 0".
	Check      string
	Deferrable bool
	Deferred   bool
}

// Sequence is a stand-alone sequence.
type Sequence struct {
	Name      string
	OID       uint32 // 0 lets the catalog derive one
	Type      string // "bigint" (default), "integer", "smallint"
	Start     int64
	Increment int64
	Min, Max  int64 // 0: the type's defaults
	Cycle     bool
	// OwnerTable and OwnerColumn name the column the sequence belongs to
	// (a serial column's sequence, ALTER SEQUENCE … OWNED BY): pg_depend
	// records it, and psql's \d shows "Owned by". "" for none.
	OwnerTable, OwnerColumn string
}
