package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/wal"
)

// TableChecksum is the content hash of one table.
type TableChecksum struct {
	Table  string
	Rows   int64
	SHA256 string
}

// Checksum hashes the content of every user table of the database file at
// path (opened read-only, so it works beside a running node), in name
// order, rows ordered by every column. Two nodes that applied the same WAL
// records MUST produce the same checksums.
func Checksum(ctx context.Context, path string) ([]TableChecksum, error) {
	_, sums, err := ChecksumAt(ctx, path)
	return sums, err
}

// ChecksumAt is Checksum that also returns the LSN the database has
// applied, read in the same snapshot: checksums of two nodes compare only
// at the same LSN.
func ChecksumAt(ctx context.Context, path string) (wal.LSN, []TableChecksum, error) {
	lsn, sums, err := checksumAt(ctx, path)
	return lsn, sums, err
}

func checksumAt(ctx context.Context, path string) (lsn wal.LSN, _ []TableChecksum, _ error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, nil, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	// One read transaction: every table from the same snapshot.
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return 0, nil, err
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
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
			return 0, nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	out := make([]TableChecksum, 0, len(names))
	for _, n := range names {
		c, err := checksumTable(ctx, conn, n)
		if err != nil {
			return 0, nil, fmt.Errorf("checksum %q: %w", n, err)
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
