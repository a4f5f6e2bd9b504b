package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/wal"
)

// TableChecksum is the content hash of one table. The JSON names are
// those of replisql_checksum()'s "tables".
type TableChecksum struct {
	Table  string `json:"table"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

// ChecksumReport is what replisql_checksum() returns, as JSON:
// {"lsn":"0/16B3748","tables":[{"table":"t","rows":3,"sha256":"…"}, …]},
// the applied LSN and every table's checksum from one snapshot.
type ChecksumReport struct {
	LSN    string          `json:"lsn"`
	Tables []TableChecksum `json:"tables"`
}

// ErrLocked means another process holds the database file locked: a
// running node (which holds its file exclusively). Ask that node with
// replisql_checksum() instead.
var ErrLocked = errors.New("store: the database file is locked by another process")

// fileBusyTimeout bounds how long Checksum and ChecksumAt wait for a lock
// on the file before they fail with ErrLocked.
const fileBusyTimeout = 10 * time.Second

// Checksum hashes the content of every user table of the database file at
// path (opened read-only: the file of a stopped node, or a snapshot), in
// name order, rows ordered by every column. Two nodes that applied the
// same WAL records MUST produce the same checksums. The file of a running
// node fails with ErrLocked: use Store.ChecksumLive in its process.
func Checksum(ctx context.Context, path string) ([]TableChecksum, error) {
	_, sums, err := ChecksumAt(ctx, path)
	return sums, err
}

// ChecksumAt is Checksum that also returns the LSN the database has
// applied, read in the same snapshot: checksums of two nodes compare only
// at the same LSN.
func ChecksumAt(ctx context.Context, path string) (wal.LSN, []TableChecksum, error) {
	return checksumFile(ctx, path, fileBusyTimeout)
}

func checksumFile(ctx context.Context, path string, busyTimeout time.Duration) (wal.LSN, []TableChecksum, error) {
	db, err := sql.Open("sqlite", fmt.Sprintf("file:%s?mode=ro&_pragma=busy_timeout(%d)", path, busyTimeout.Milliseconds()))
	if err != nil {
		return 0, nil, err
	}
	defer db.Close()
	lsn, sums, err := checksumDB(ctx, db)
	if isBusy(err) {
		return 0, nil, fmt.Errorf("%s: %w", path, ErrLocked)
	}
	return lsn, sums, err
}

// ChecksumLive is ChecksumAt of the store's own database while the node
// runs: what SQLite committed, at the LSN it returns (an acknowledged
// commit still in the writer's open batch is in it once published; a
// session's read publishes before it starts). It opens a short-lived
// connection of its own, never one of the store's pool: a statement
// running on a pooled reader calls it (replisql_checksum()), and waiting
// for a second pooled connection there could deadlock. Every error it
// returns carries a SQLSTATE.
//
// It takes no connection through the gate either (a statement that calls
// it already holds the gate, which Restore waits for); called from
// outside a statement, it may fail if Restore replaces the database
// meanwhile.
func (s *Store) ChecksumLive(ctx context.Context) (wal.LSN, []TableChecksum, error) {
	db, err := sql.Open("sqlite", s.dsn(roleHelper))
	if err != nil {
		return 0, nil, MapError(err)
	}
	defer db.Close()
	lsn, sums, err := checksumDB(ctx, db)
	return lsn, sums, MapError(err)
}

// checksumDB hashes the database through one connection of db.
func checksumDB(ctx context.Context, db *sql.DB) (wal.LSN, []TableChecksum, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	return checksumConn(ctx, conn)
}

// checksumConn hashes what conn sees in one read transaction: the applied
// LSN and every table from the same snapshot. conn MUST NOT be inside a
// transaction.
func checksumConn(ctx context.Context, conn *sql.Conn) (lsn wal.LSN, _ []TableChecksum, _ error) {
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return 0, nil, MapError(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	var err error
	if lsn, err = readAppliedFrom(ctx, conn); err != nil {
		if pgerr.CodeOf(err) != pgerr.UndefinedTable {
			return 0, nil, err
		}
		lsn = 0 // a database RepliSQL did not make: no replisql_meta
	}
	rows, err := conn.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'replisql_meta' ORDER BY name`)
	if err != nil {
		return 0, nil, MapError(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, nil, MapError(err)
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		return 0, nil, MapError(err)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, MapError(err)
	}
	out := make([]TableChecksum, 0, len(names))
	for _, n := range names {
		c, err := checksumTable(ctx, conn, n)
		if err != nil {
			return 0, nil, fmt.Errorf("checksum %q: %w", n, MapError(err))
		}
		out = append(out, c)
	}
	return lsn, out, nil
}

func checksumTable(ctx context.Context, conn *sql.Conn, table string) (TableChecksum, error) {
	q := `"` + strings.ReplaceAll(table, `"`, `""`) + `"`
	var ncols int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?1)`, table).Scan(&ncols); err != nil {
		return TableChecksum{}, err
	}
	order := make([]string, ncols)
	for i := range order {
		order[i] = strconv.Itoa(i + 1)
	}
	rows, err := conn.QueryContext(ctx, "SELECT * FROM "+q+" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return TableChecksum{}, MapError(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	h := sha256.New()
	var n int64
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return TableChecksum{}, err
		}
		buf = buf[:0]
		for _, v := range vals {
			buf = appendHashValue(buf, v)
		}
		h.Write(buf)
		n++
	}
	if err := rows.Err(); err != nil {
		return TableChecksum{}, err
	}
	return TableChecksum{Table: table, Rows: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// appendHashValue encodes a value with its type, so that 1, 1.0 and '1'
// hash differently.
func appendHashValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'n')
	case int64:
		return binary.BigEndian.AppendUint64(append(b, 'i'), uint64(x))
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(x))
	case string:
		b = binary.BigEndian.AppendUint32(append(b, 's'), uint32(len(x)))
		return append(b, x...)
	case []byte:
		b = binary.BigEndian.AppendUint32(append(b, 'b'), uint32(len(x)))
		return append(b, x...)
	default:
		s := fmt.Sprint(x)
		b = binary.BigEndian.AppendUint32(append(b, 'o'), uint32(len(s)))
		return append(b, s...)
	}
}
