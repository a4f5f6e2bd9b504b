// Package session runs one client's statements: it is the layer between
// the wire (pgwire) and the SQL and storage layers (pgsql, store).
//
// A Session owns the connection's state: configuration parameters (SET,
// SHOW, RESET), the transaction block, prepared statements' plans, portals
// and cursors. It parses each query once through pgsql's cache, plans it
// against the current schema, and executes the plan on a SQLite
// connection from the store:
//
//   - a statement that can write takes the store's single writer and keeps
//     it until its transaction ends (COMMIT, ROLLBACK, the end of a simple
//     Query message, or Sync for the extended protocol);
//   - a read outside a writing transaction runs on a reader connection, so
//     reads never wait for writes.
//
// Isolation delivered: writing transactions are serial (one writer), so
// they are SERIALIZABLE with respect to each other. A transaction that has
// not written yet reads with READ COMMITTED semantics (each statement sees
// the latest commit); REPEATABLE READ and SERIALIZABLE transactions take
// their snapshot at the first statement (a reader snapshot for READ ONLY
// ones, the writer otherwise) and keep it to the end.
//
// Invariants:
//   - A Session is used by one goroutine at a time (pgwire's connection
//     goroutine).
//   - A statement classified read-only by pgsql never runs on the writer
//     unless the session's transaction already holds it.
//   - Every transaction ends by COMMIT or ROLLBACK on the connection that it
//     held, and the connection goes back to the store.
package session
