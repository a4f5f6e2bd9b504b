// Package router sends a session's statements elsewhere in the cluster:
// on a follower, writes (and the rest of their transaction) go to the
// leader over pooled backend connections (github.com/jackc/pgx/v5/pgconn),
// and their results, errors (SQLSTATE and all), notices and command tags
// come back unchanged through the session's pgwire.ResultWriter.
//
// Results are asked for in text format and decoded into SQLite
// representation with pgwire.DecodeParam, so that pgwire encodes them
// again in whatever format the client asked for. The backend therefore
// runs with fixed output settings (DateStyle ISO, IntervalStyle postgres,
// extra_float_digits 3, bytea_output hex); the settings that change what
// a statement does (synchronous_commit, statement_timeout, search_path,
// TimeZone, ...) are the session's own, sent before the statement when
// they differ from what the backend has.
//
// The package knows the wire and the leader's address; it knows nothing
// of SQL or storage.
package router
