// Package store owns the SQLite database of one node: one writer
// connection, a pool of reader connections, the schema as the SQL layer
// sees it, and the mapping of SQLite errors to SQLSTATEs.
//
// SQLite runs in WAL journal mode, so readers never wait for the writer
// and the writer never waits for readers. Writes are serialized: a session
// that wants to write takes the writer (Store.Writer) for the whole of its
// transaction and gives it back at COMMIT or ROLLBACK. Waiting for the
// writer is bounded; past the bound the caller gets 55P03. A transaction
// that commits while others queue for the writer may leave SQLite's
// transaction open for them, so that one SQLite COMMIT covers the run
// (batch.go); the commit path and its order are in commit.go.
//
// Besides the writer and the pool, ChecksumLive opens a short-lived
// read-only connection of its own: it runs inside a statement that holds
// a pooled connection (replisql_checksum()), where taking a second one
// could deadlock. Checksum and ChecksumAt read the file of a stopped node
// or a snapshot; a running node's file fails with ErrLocked.
//
// Invariants:
//   - Exactly one connection ever writes. Reader connections are opened
//     with query_only, so a bug elsewhere cannot write through them.
//   - Every error returned by this package is a *pgerr.Error or wraps a
//     context error; SQLite's own error text never reaches a client as
//     "SQLITE_BUSY".
//   - The store writes nothing into the user's database that a plain
//     SQLite tool would not expect, except the replisql_meta table that
//     later carries the applied WAL position.
package store
