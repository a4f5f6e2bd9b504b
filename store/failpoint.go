package store

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// Failpoints kill the process at crash-critical spots of the commit path,
// for robustness tests that restart it and check what survived. They are
// named in the environment variable REPLISQL_FAILPOINT as NAME or NAME@N
// (the Nth time the point is reached, default 1); the process then sends
// itself SIGKILL. With the variable unset, a failpoint costs one atomic
// load.
//
// Points, in the order a commit reaches them:
//
//	commit-before-append   the transaction ran; nothing is in the WAL
//	commit-after-append    the record is in the WAL (page cache), SQLite has not committed
//	commit-after-sqlite    SQLite committed; the WAL fsync has not run
//	commit-after-fsync     the record is durable; the client has no answer yet
const failpointEnv = "REPLISQL_FAILPOINT"

var (
	fpName  string
	fpAt    int64
	fpHits  atomic.Int64
	fpArmed atomic.Bool
)

func init() {
	v := os.Getenv(failpointEnv)
	if v == "" {
		return
	}
	name, at, _ := strings.Cut(v, "@")
	fpName, fpAt = name, 1
	if at != "" {
		if n, err := strconv.ParseInt(at, 10, 64); err == nil && n > 0 {
			fpAt = n
		}
	}
	fpArmed.Store(true)
}

// failpoint kills the process if name is the armed failpoint and this is
// its Nth hit.
func failpoint(name string) {
	if !fpArmed.Load() || name != fpName {
		return
	}
	if fpHits.Add(1) == fpAt {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // never returns: the signal is on its way
	}
}
