// Package pgwire speaks the PostgreSQL frontend/backend protocol 3.0 so
// that PostgreSQL clients (psql, pgbench, libpq, pgx, lib/pq, psycopg,
// node-postgres, JDBC) work unchanged. It knows nothing of SQL, SQLite
// or replication: it hands statements to a Session and encodes what the
// Session writes back.
//
// # Layers
//
//	server.go    Server, Config: accept loop, connection limits, Shutdown
//	conn.go      one connection: message framing, output buffer, the
//	             dispatch loop, panic containment
//	startup.go   SSLRequest / GSSEncRequest / CancelRequest /
//	             StartupMessage, authentication, session start
//	query.go     simple Query
//	extended.go  Parse, Bind, Describe, Execute, Close, Flush, Sync
//	result.go    the ResultWriter the session writes results to, and the
//	             encoders of frequent backend messages
//	copy.go      COPY FROM STDIN / TO STDOUT message plumbing
//	cancel.go    the CancelRequest registry, statement contexts
//	errors.go    the ONE place where an error becomes an ErrorResponse
//	handler.go   the contract with the session layer (Handler, Session)
//	auth.go, scram.go, users.go, tlsconfig.go  authentication, TLS
//	types.go, codec*.go, copyformat.go         value and COPY formats
//
// # Lifecycle
//
// NewServer checks the Config; Serve(ctx, ln) accepts connections until
// Shutdown or Close (ErrServerClosed) or until ctx is done (immediate
// close). Each connection has one goroutine that owns all its state; other
// goroutines only cancel its running statement (CancelRequest), interrupt
// its idle read (Shutdown) or close its socket (Close).
//
// A connection goes through:
//
//  1. Startup, under Config.StartupTimeout: any number of SSLRequest ('S'
//     and a TLS handshake when Config.TLS is set, else 'N') and one
//     GSSEncRequest ('N'), then a StartupMessage; or a CancelRequest, which
//     is answered by closing. Protocol 3.x minors > 0 and _pq_ options get
//     NegotiateProtocolVersion (3.0). The connection then counts against
//     MaxConnections (FATAL 53300 past it); TLSRequired is checked
//     (FATAL 28000); Authenticator.Authenticate runs; AuthenticationOk;
//     the database must be Config.Database (FATAL 3D000); Handler.NewSession;
//     ParameterStatus for each Session.ParameterStatus entry (plus
//     server_version from Config if the session has none); BackendKeyData;
//     ReadyForQuery.
//  2. Queries, until Terminate, a FATAL error or the client leaving.
//  3. Release: portals and statements are closed, then Session.Close.
//
// # Message flow
//
// Simple Query: Session.Query writes zero or more results to the
// ResultWriter; an error becomes ErrorResponse; then exactly one
// ReadyForQuery with Session.TxStatus. A simple Query drops the unnamed
// prepared statement, as in PostgreSQL.
//
// Extended: Parse → Session.Prepare (ParseComplete); Bind decodes the
// parameters with DecodeParam and calls Session.Bind (BindComplete);
// Describe answers from the statement or portal (ParameterDescription,
// RowDescription or NoData) without calling the session; Execute →
// Portal.Execute (rows, then CommandComplete, or PortalSuspended when the
// row limit stopped it); Close (CloseComplete, even for unknown names);
// Flush writes the output; Sync → Session.Sync, ReadyForQuery. After an
// error in Parse/Bind/Describe/Execute/Close, pgwire sends the
// ErrorResponse, calls Session.SyncError and discards every message until
// Sync; Sync then still calls Session.Sync. Portals are dropped when a Sync
// or simple Query leaves the session idle (TxStatus 'I'): PostgreSQL's
// portals end with their transaction.
//
// COPY: ResultWriter.CopyIn sends CopyInResponse and returns a reader of
// the CopyData payloads (io.EOF at CopyDone; 57014 at CopyFail; Flush and
// Sync ignored; other messages 08P01). Complete reads and discards what
// the session did not read up to CopyDone. CopyData, CopyDone and CopyFail
// arriving outside COPY (after a COPY failed) are ignored. CopyOut sends
// CopyOutResponse; each Write is one CopyData; Complete sends CopyDone
// then CommandComplete.
//
// Prepared statements made by Parse live in pgwire; the ResultWriter
// passed to Query and Execute also implements PreparedStatements so that
// the session can run SQL DEALLOCATE [ALL] / DISCARD ALL on them, as
// PostgreSQL does. The command tags DEALLOCATE ALL and DISCARD ALL close
// the named statements even when the session does not.
//
// ParameterStatus: StartupInfo.Notify queues a ParameterStatus; queued ones
// are sent just before the next ReadyForQuery (after CommandComplete), as
// PostgreSQL 15 does.
//
// # Invariants
//
//   - EVERY error reaches the client through conn.sendError (errors.go):
//     *pgerr.Error keeps its fields; a cancelled statement is 57014 (FATAL
//     57P01 when the server shuts down); anything else is XX000 and logged.
//     A FATAL error closes the connection after it is sent.
//   - EXACTLY ONE ReadyForQuery answers each Query, FunctionCall and Sync,
//     and none is sent otherwise (after startup).
//   - A MALFORMED message body is FATAL 08P01 (PostgreSQL sends an ERROR
//     where the framing survived; closing is the safer answer). A stray
//     message during COPY FROM STDIN fails the COPY and then the connection,
//     as in PostgreSQL.
//   - OUTPUT IS BUFFERED and written only at ReadyForQuery, Flush, an
//     ErrorResponse, CopyInResponse (the client must answer it), or when
//     more than 32 KiB are pending: a pgbench -M prepared round trip is one
//     write.
//   - NO MESSAGE IS ALLOCATED BEFORE ITS LENGTH IS CHECKED: Query, Parse,
//     Bind, CopyData, CopyFail and FunctionCall up to Config.MaxMessageSize,
//     every other message up to 10000 bytes; an unknown type or a bad
//     length is FATAL 08P01. A large message's buffer grows with the bytes
//     received, not with the length claimed. Counts inside messages are
//     checked against the bytes present before anything is allocated.
//   - A PANIC never leaves its connection: it is recovered, logged with its
//     stack, answered with FATAL XX000, and the connection is closed.
//   - Session methods are called from the connection's goroutine only, one
//     at a time. Their context is cancelled only by a CancelRequest with the
//     right key (or a server shutdown); a CancelRequest for an idle
//     connection does nothing.
package pgwire
