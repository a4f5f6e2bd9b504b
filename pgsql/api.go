package pgsql

import "github.com/replisql/replisql/pgwire/pgerr"

// This file is the contract between the SQL layer and its consumer, the
// session layer. Everything the session needs to run a PostgreSQL
// statement on SQLite is here; how it is computed lives in the rest of the
// package.

// Kind classifies a statement. Replication and routing rely on it: a
// statement whose Kind is KindSelect (and whose ReadOnly is true) MUST NOT
// change data.
type Kind uint8

const (
	KindEmpty   Kind = iota // only comments and semicolons
	KindSelect              // SELECT, VALUES, TABLE, WITH … SELECT: returns rows
	KindDML                 // INSERT, UPDATE, DELETE, MERGE (maybe RETURNING)
	KindDDL                 // CREATE, ALTER, DROP, TRUNCATE, COMMENT
	KindTxn                 // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, …
	KindSet                 // SET, RESET, SET TRANSACTION, SELECT set_config(…) (SetStmt.Config)
	KindShow                // SHOW
	KindCopy                // COPY … FROM STDIN / TO STDOUT
	KindCursor              // DECLARE, FETCH, MOVE, CLOSE
	KindPrepare             // PREPARE, EXECUTE, DEALLOCATE
	KindUtility             // VACUUM, ANALYZE, CHECKPOINT, DISCARD, LISTEN, …
)

// Statement is one parsed statement of a query string. It is immutable
// and shared through the parse cache: callers MUST NOT modify it.
type Statement struct {
	Text     string // this statement's own text, without the trailing ';'
	Location int    // byte offset of Text in the query string
	Kind     Kind
	// Tag is the command tag's verb: "SELECT", "INSERT", "UPDATE",
	// "DELETE", "CREATE TABLE", "DROP TABLE", "BEGIN", "COMMIT", "SET", …
	// The session appends the row count where PostgreSQL does.
	Tag string
	// ReadOnly is true when executing the statement cannot change data.
	ReadOnly bool
	// NodeLocal is true for a query about the node that runs it (its
	// replication state, configuration, sessions): it runs where the
	// client sent it, never routed elsewhere.
	NodeLocal bool

	// Exactly one of these is set, according to Kind, for statements
	// the session runs itself rather than SQLite.
	Txn    *TxnStmt
	Set    *SetStmt
	Show   *ShowStmt
	Copy   *CopyStmt
	Cursor *CursorStmt
	// Prepared names the prepared statement of PREPARE, EXECUTE and
	// DEALLOCATE ("" for DEALLOCATE ALL).
	Prepared string

	node  any        // the parse tree, for Plan
	plans *planCache // plans per (schema version, parameter types)
	// charLoc is Location in characters, for error positions.
	charLoc int
}

// TxnOp is a transaction-control operation.
type TxnOp uint8

const (
	TxnBegin TxnOp = iota
	TxnCommit
	TxnRollback
	TxnSavepoint
	TxnRelease
	TxnRollbackTo
	TxnPrepare // PREPARE TRANSACTION: not supported (0A000)
)

// TxnStmt is BEGIN/START TRANSACTION, COMMIT/END, ROLLBACK/ABORT,
// SAVEPOINT, RELEASE [SAVEPOINT], ROLLBACK TO [SAVEPOINT].
type TxnStmt struct {
	Op        TxnOp
	Savepoint string
	Isolation string // "serializable", "repeatable read", "read committed", … or ""
	ReadOnly  *bool  // READ ONLY / READ WRITE, nil when not given
	Chain     bool   // COMMIT/ROLLBACK AND CHAIN
}

// SetStmt is SET [SESSION|LOCAL] name {TO|=} value, RESET name,
// RESET ALL, and SET TRANSACTION/SESSION CHARACTERISTICS.
type SetStmt struct {
	Name     string // lower-case; "" with ResetAll
	Value    string // the value as PostgreSQL would store it; "" for DEFAULT
	Local    bool
	Reset    bool // RESET name or SET name TO DEFAULT
	ResetAll bool
	// System is ALTER SYSTEM SET/RESET: the cluster-wide setting, taking
	// effect at the next configuration reload.
	System bool
	// Transaction options of SET TRANSACTION …
	Isolation string
	ReadOnly  *bool
	// Config is set for SELECT set_config(name, value, is_local)[, …]
	// (Statement.Tag "SELECT"): the session carries out each call as SET
	// [LOCAL] does and returns one row of the new values as SHOW prints
	// them, one text column per call.
	Config []SetConfigCall
}

// SetConfigCall is one set_config(name, value, is_local) with constant
// arguments. A local value set outside a transaction block lasts until
// the end of the implicit transaction, as in PostgreSQL.
type SetConfigCall struct {
	Column string  // the result column: "set_config" or the alias
	Name   string  // as written
	Value  *string // nil for NULL: the setting's default
	Local  bool
}

// ShowStmt is SHOW name | SHOW ALL.
type ShowStmt struct {
	Name string // lower-case; "all" for SHOW ALL
}

// CopyStmt is COPY … FROM STDIN or COPY … TO STDOUT.
type CopyStmt struct {
	Table   string   // target or source table, unqualified name
	Columns []string // explicit column list, or nil for all
	// Query is set for COPY (query) TO STDOUT.
	Query *Statement
	From  bool // FROM STDIN; false: TO STDOUT

	Format       string // "text", "csv" or "binary"
	Delimiter    string // default tab (text) or comma (csv)
	Null         string // default \N (text) or "" (csv)
	Header       bool
	Quote        string   // csv, default "
	Escape       string   // csv, default same as Quote
	ForceQuote   []string // csv TO: FORCE_QUOTE columns; ["*"] for all
	ForceNotNull []string
	Freeze       bool
}

// CursorOp is a cursor operation.
type CursorOp uint8

const (
	CursorDeclare CursorOp = iota
	CursorFetch
	CursorMove
	CursorClose
)

// CursorStmt is DECLARE name CURSOR [WITH[OUT] HOLD] FOR query,
// FETCH/MOVE [direction] [count] {FROM|IN} name, CLOSE name | ALL.
type CursorStmt struct {
	Op    CursorOp
	Name  string // "" with CLOSE ALL
	Hold  bool
	Query *Statement // DECLARE's query
	// Count is how many rows FETCH/MOVE returns; -1 means ALL.
	Count int64
	// Forward is false for BACKWARD/PRIOR (not supported: 0A000).
	Forward bool
}

// Schema is the view of the database that translation needs. The storage
// layer implements it over the live SQLite schema.
type Schema interface {
	// Table looks up a table by name (unqualified, as stored).
	Table(name string) (*Table, bool)
	// Version changes whenever the schema changes (any DDL); plans are
	// cached per version.
	Version() uint64
}

// Catalog is implemented by a Schema that emulates the system catalogs
// (pg_catalog.*, information_schema.*). Without it, references to them
// fail with 0A000.
type Catalog interface {
	// CatalogRelation resolves a catalog relation (schema is
	// "pg_catalog" or "information_schema"; name as written). SQL is how
	// SQLite references it (e.g. `"pgcat"."pg_class"` in an attached
	// database, or a parenthesized subquery); Columns describe it, in
	// order.
	CatalogRelation(schema, name string) (sql string, cols []Column, ok bool)
}

// CatalogFunctions is implemented by a Schema whose catalog emulation
// also provides functions (pg_get_userbyid, format_type,
// pg_table_is_visible, …) as SQLite functions it registered itself.
type CatalogFunctions interface {
	// CatalogFunction resolves a function by name (without a
	// pg_catalog. prefix) and argument count: the SQLite function to
	// call and its result type.
	CatalogFunction(name string, nargs int) (sqliteName string, result uint32, ok bool)
}

// Table describes one table of the user's database.
type Table struct {
	Name    string
	OID     uint32
	Columns []TableColumn
	// SQL is the table's CREATE TABLE statement as SQLite stores it
	// (sqlite_schema.sql); "" when unknown. Rebuilds (ALTER TABLE … ADD
	// PRIMARY KEY) refuse tables whose SQL they cannot reproduce.
	SQL string
	// Indexes are the CREATE INDEX statements of the table's explicit
	// indexes (sqlite_schema.sql of type 'index', non-NULL), recreated
	// after a rebuild.
	Indexes []string
	// Triggers are the table's SQLite triggers (sqlite_schema rows of
	// type 'trigger'); see trigger.go.
	Triggers []TableTrigger
	// Annotations are the facts of the table's PostgreSQL definition
	// that SQLite's schema does not hold (annotate.go).
	Annotations []Annotation
}

// TableColumn describes one column. Type is the PostgreSQL type as
// declared ("integer", "character varying(20)", "timestamp with time
// zone"), kept as SQLite's declared type of the column.
type TableColumn struct {
	Name       string
	Type       string
	TypeOID    uint32
	TypeMod    int32
	NotNull    bool
	Default    string
	PrimaryKey bool
	// Identity is true for a rowid-backed serial/identity column (SQLite
	// AUTOINCREMENT): its values come from sqlite_sequence.
	Identity bool
}

// Column is one result column with its PostgreSQL type.
type Column struct {
	Name     string
	TypeOID  uint32
	TypeMod  int32 // -1 when none
	TableOID uint32
	AttNum   int16
}

// SessionValue names a value that a plan needs from the session at run
// time, bound as an extra SQLite parameter after the client's own. This is
// how non-determinism is pinned: the values are bound arguments, so a WAL
// record that stores a statement with its arguments replays identically.
type SessionValue uint8

// Representations to bind: the three timestamps as text in the stored
// timestamptz form (FormatTimestamptz: UTC, "2006-01-02 15:04:05.999999+00");
// ValueRandomSeed as an int64 that MUST be fresh for every execution
// (random()/gen_random_uuid() are pure functions of it, so replay with
// the same bound seed gives the same values); ValueCurrentUser and
// ValueDatabase as text; ValueBackendPID as int64.
const (
	ValueTxnTimestamp       SessionValue = iota // now(), current_timestamp, transaction_timestamp()
	ValueStatementTimestamp                     // statement_timestamp()
	ValueClockTimestamp                         // clock_timestamp(), as observed once per statement
	ValueRandomSeed                             // seed for random()/gen_random_uuid() of this execution
	ValueCurrentUser
	ValueDatabase
	ValueBackendPID
	ValueLastCommitLSN // replisql_last_commit_lsn(): text "X/X", NULL before any commit
	// ValueSettings is what current_setting() reads: every setting of the
	// session as SHOW prints it, as the text of a JSON object keyed by
	// lower-case name ({"datestyle":"ISO, MDY",…}).
	ValueSettings
)

// Plan is a statement translated for SQLite.
type Plan struct {
	// SQL holds the SQLite statements to run in order; rows, if any, come
	// from the last. Most plans have one. Parameters are written ?N, where
	// ?1…?n are the client's $1…$n and ?n+1… are Extra.
	SQL []string
	// Params are the PostgreSQL types of $1…$n: as the client gave them,
	// or inferred from context; 25 (text) when nothing better is known.
	Params []uint32
	// Extra lists the session values bound after the client's parameters.
	Extra []SessionValue
	// Columns are the result columns; nil when the statement returns no
	// rows. For COPY they describe the copied columns: COPY … TO plans
	// are the query; COPY … FROM plans are one INSERT of one row whose
	// parameters ($1…$n, Params typed by column) take each value either
	// decoded or in COPY's text form.
	Columns []Column
	// SchemaChange is true when running the plan changes the schema (the
	// session invalidates cached plans).
	SchemaChange bool
	// UsesCatalog is true when the plan reads an emulated catalog
	// relation (resolved through Catalog.CatalogRelation): the session
	// makes sure the connection's catalog reflects the schema first.
	UsesCatalog bool
	// Notices are sent to the client (as NoticeResponse) when the plan
	// runs, e.g. `table "x" does not exist, skipping` for DROP TABLE IF
	// EXISTS.
	Notices []*pgerr.Error
}
