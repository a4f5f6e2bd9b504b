// Command replisql runs a RepliSQL node and its tools.
//
//	replisql serve --data-dir DIR --listen 127.0.0.1:5433
//	replisql user add --users-file FILE --name NAME [--method scram-sha-256]
//	replisql wal dump --data-dir DIR
//	replisql checksum --url postgres://USER@HOST:PORT/DATABASE | --data-dir DIR
//	replisql version
//
// Every flag of serve has an environment equivalent: --data-dir is
// REPLISQL_DATA_DIR, --tls-cert is REPLISQL_TLS_CERT, and so on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/replisql/replisql/pgwire"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "replisql:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: replisql <command> [flags]

commands:
  serve      run a node (replisql serve -h for flags)
  cluster    run a local cluster of nodes in the foreground, logs prefixed by node
  user add   add or replace a user in a users file
  wal dump   print a node's WAL records and their statements
  wal replay apply a node's whole WAL to a new database file
  checksum   print a per-table content hash of a node's database (--url of a running node)
  version    print the version
`

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:])
	case "cluster":
		return clusterCommand(ctx, args[1:])
	case "user":
		return userCommand(args[1:])
	case "wal":
		return walCommand(ctx, args[1:])
	case "checksum":
		return checksumCommand(ctx, args[1:])
	case "version", "--version", "-v":
		fmt.Printf("replisql %s (PostgreSQL %s compatible)\n", version, pgVersion)
		return nil
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// pgVersion is the PostgreSQL version the node reports.
const pgVersion = pgwire.DefaultServerVersion
