package pgwire

import (
	"context"
	"io"
)

// This file is the whole contract between the protocol and the session
// layer. pgwire owns messages, formats and connection state; the session
// layer owns SQL, transactions and storage. Values cross the boundary in
// SQLite's representation: nil, int64, float64, string, []byte (and
// time.Time where the driver produced one); pgwire encodes and decodes them
// per type OID and format code.

// Handler opens sessions. The session layer implements it.
type Handler interface {
	// NewSession is called after authentication succeeded. A *pgerr.Error
	// with FATAL severity refuses the connection with that error.
	NewSession(ctx context.Context, info StartupInfo) (Session, error)
}

// StartupInfo is what the client said in its StartupMessage, after the
// server checked database and user.
type StartupInfo struct {
	User     string
	Database string
	// Params holds every startup parameter (application_name,
	// client_encoding, DateStyle, TimeZone, options, replication, ...).
	Params     map[string]string
	RemoteAddr string
	ProcessID  uint32
	// Replication is true for a physical replication connection
	// (startup parameter replication=true): it was opened by
	// Config.ReplicationHandler.
	Replication bool
	// Notify sends a ParameterStatus to the client at the next message
	// boundary (after a SET that changes a reported parameter).
	Notify func(name, value string)
	// Notice sends a NoticeResponse before the next ReadyForQuery (for
	// notices that arise where no ResultWriter is at hand, e.g. at Sync).
	Notice func(n *Notice)
}

// Session executes statements for one connection. Calls never overlap:
// pgwire calls it from the connection's goroutine only. A context passed
// to a call is cancelled by CancelRequest and carries no deadline from
// pgwire (statement_timeout is the session's business).
type Session interface {
	// ParameterStatus returns the parameters reported at startup, in order.
	ParameterStatus() []Param

	// Query runs a simple-protocol query string: zero or more statements.
	// For each statement the session writes its results to w and returns at
	// the first error; pgwire then sends the ErrorResponse. An empty string
	// (or only comments and semicolons) calls w.EmptyQuery.
	Query(ctx context.Context, sql string, w ResultWriter) error

	// Prepare parses one statement (extended protocol Parse). paramOIDs
	// holds the types the client gave, 0 for "infer".
	Prepare(ctx context.Context, sql string, paramOIDs []uint32) (Prepared, error)

	// Bind creates a portal from a prepared statement and its arguments,
	// already decoded by pgwire into SQLite representation.
	Bind(ctx context.Context, stmt Prepared, args []any) (Portal, error)

	// TxStatus is the ReadyForQuery status: 'I' idle, 'T' in a transaction
	// block, 'E' in a failed transaction block.
	TxStatus() byte

	// SyncError is called by pgwire when an extended-protocol error
	// happened (before Sync): the session marks an open transaction block
	// failed, or rolls back an implicit one.
	SyncError()

	// Sync ends an extended-protocol batch: an implicit transaction (no
	// BEGIN) commits here.
	Sync(ctx context.Context) error

	// Close ends the session: roll back what is open, release resources.
	Close()
}

// Param is one ParameterStatus.
type Param struct{ Name, Value string }

// Column describes one result column (RowDescription field).
type Column struct {
	Name         string
	TableOID     uint32
	AttrNum      int16
	TypeOID      uint32
	TypeSize     int16
	TypeModifier int32
}

// Prepared is a parsed statement with its described parameters and
// result columns.
type Prepared interface {
	// ParamOIDs are the parameter types, inferred where the client gave 0.
	ParamOIDs() []uint32
	// Columns are the result columns; nil when the statement returns no
	// rows (Describe answers NoData).
	Columns() []Column
	// Close releases the statement (Close message or end of session).
	Close()
}

// Portal is a bound statement ready to run, possibly in several
// Execute calls.
type Portal interface {
	// Columns are the result columns, as in Prepared.
	Columns() []Column
	// Execute runs the portal, writing at most maxRows rows (0: all) to w.
	// It returns suspended=true if rows remain (PortalSuspended); then a
	// later Execute continues. When it completes it calls w.Complete.
	Execute(ctx context.Context, maxRows int, w ResultWriter) (suspended bool, err error)
	// Close releases the portal.
	Close()
}

// ResultWriter receives a statement's results. pgwire implements it and
// buffers messages until the next flush point.
type ResultWriter interface {
	// Describe announces the result columns of a simple-protocol statement
	// (RowDescription). Extended-protocol portals do not call it.
	Describe(cols []Column) error
	// Row sends one row; values are in SQLite representation and are
	// encoded per column type and the format the client asked for.
	Row(values []any) error
	// Complete ends a statement with its command tag ("SELECT 3",
	// "INSERT 0 1", "BEGIN", ...).
	Complete(tag string) error
	// EmptyQuery answers an empty statement.
	EmptyQuery() error
	// Notice sends a NoticeResponse (severity NOTICE unless set).
	Notice(n *Notice) error
	// CopyIn switches to COPY FROM STDIN: it sends CopyInResponse and
	// returns a reader of the client's CopyData bytes. Reading returns
	// io.EOF at CopyDone, and an error (57014 with the client's message)
	// at CopyFail.
	CopyIn(format CopyFormat, columns int) (io.Reader, error)
	// CopyOut switches to COPY TO STDOUT: it sends CopyOutResponse and
	// returns a writer; each Write becomes one CopyData. The session then
	// calls Complete, which sends CopyDone before CommandComplete.
	CopyOut(format CopyFormat, columns int) (io.Writer, error)
	// CopyBoth switches to the CopyBoth exchange of streaming replication
	// (simple protocol only): it sends CopyBothResponse and returns the
	// stream. A session that ends the exchange normally sends Done and
	// then calls Complete.
	CopyBoth() (CopyStream, error)
}

// CopyFormat is COPY's overall format.
type CopyFormat int8

const (
	CopyText   CopyFormat = 0
	CopyBinary CopyFormat = 1
)

// Notice is a NoticeResponse.
type Notice struct {
	Severity string // NOTICE, WARNING, INFO, DEBUG
	Code     string
	Message  string
	Detail   string
	Hint     string
}
