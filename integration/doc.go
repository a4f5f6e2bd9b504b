// Package integration holds the end-to-end tests of RepliSQL: every test
// starts the real bin/replisql on an ephemeral 127.0.0.1 port in its own
// temporary data directory and drives it with real clients (pgx v5 in every
// query-exec mode, lib/pq through database/sql, and psql when it is on
// PATH).
//
// Run them after building the binary:
//
//	make build && REPLISQL_BIN=$PWD/bin/replisql go test -count=1 ./integration/
//
// Without REPLISQL_BIN the tests look for ../bin/replisql relative to this
// directory; when the binary is missing every test skips with a message.
// The expectations are PostgreSQL's: testdata/postgres-shim.sh speaks the
// part of replisql's command line the suite uses and runs PostgreSQL 15
// instead, so the suite can be checked against the real server:
//
//	REPLISQL_BIN=$PWD/integration/testdata/postgres-shim.sh go test -count=1 ./integration/
//
// The package has no non-test code apart from this comment; integration/bench
// is a separate program.
package integration
