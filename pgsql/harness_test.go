package pgsql

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// testDB is an in-memory SQLite database with a Schema read from
// PRAGMA table_info, the way the storage layer will implement it.
type testDB struct {
	t       testing.TB
	db      *sql.DB
	conn    *sql.Conn
	version atomic.Uint64
}

var _ Schema = (*testDB)(nil)

func newTestDB(t testing.TB) *testDB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); db.Close() })
	return &testDB{t: t, db: db, conn: conn}
}

func (d *testDB) Version() uint64 { return d.version.Load() }

func (d *testDB) Table(name string) (*Table, bool) {
	ctx := context.Background()
	var tsql string
	err := d.conn.QueryRowContext(ctx, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", name).Scan(&tsql)
	if err != nil {
		return nil, false
	}
	rows, err := d.conn.QueryContext(ctx, "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)", name)
	if err != nil {
		d.t.Fatal(err)
	}
	tb := &Table{Name: name, OID: 16384, SQL: tsql}
	auto := strings.Contains(strings.ToUpper(tsql), "AUTOINCREMENT")
	declared := ColumnTypes(tsql)
	for rows.Next() {
		var c TableColumn
		var dflt sql.NullString
		var nn, pk int
		if err := rows.Scan(&c.Name, &c.Type, &nn, &dflt, &pk); err != nil {
			d.t.Fatal(err)
		}
		c.NotNull, c.PrimaryKey, c.Default = nn != 0, pk != 0, dflt.String
		c.Identity = auto && c.PrimaryKey
		if dt, ok := declared[c.Name]; ok {
			c.Type = dt
		}
		c.TypeOID, c.TypeMod = TypeOID(c.Type)
		tb.Columns = append(tb.Columns, c)
	}
	rows.Close()
	irows, err := d.conn.QueryContext(ctx, "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", name)
	if err != nil {
		d.t.Fatal(err)
	}
	for irows.Next() {
		var s string
		_ = irows.Scan(&s)
		tb.Indexes = append(tb.Indexes, s)
	}
	irows.Close()
	if arows, err := d.conn.QueryContext(ctx, `SELECT "kind", "name", "value" FROM "__replisql_annotations" WHERE "rel" = ? ORDER BY 1, 2`, name); err == nil {
		for arows.Next() {
			var a Annotation
			_ = arows.Scan(&a.Kind, &a.Name, &a.Value)
			tb.Annotations = append(tb.Annotations, a)
		}
		arows.Close()
	}
	return tb, true
}

var seedCounter atomic.Int64

// Session values bound for Plan.Extra.
const testNow = "2024-01-02 03:04:05.123456+00"

// testSettings are the session's settings current_setting() reads.
const testSettings = `{"datestyle":"ISO, MDY","timezone":"Etc/UTC","statement_timeout":"0","app.user":"u\"1"}`

func extraValue(v SessionValue) any {
	switch v {
	case ValueTxnTimestamp, ValueStatementTimestamp, ValueClockTimestamp:
		return testNow
	case ValueCurrentUser:
		return "postgres"
	case ValueDatabase:
		return "app"
	case ValueBackendPID:
		return int64(4242)
	case ValueSettings:
		return testSettings
	case ValueRandomSeed:
		// A fresh seed per execution, as the session must bind.
		return seedCounter.Add(1)
	}
	return int64(0)
}

// result is what running one statement produced.
type result struct {
	plan *Plan
	stmt *Statement
	rows string // rows joined by "\n", values by "|"
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if x == x && x < 1e15 && x > -1e15 {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return x
	case []byte:
		return `\x` + hex.EncodeToString(x)
	case time.Time:
		// modernc returns columns declared "date" as time.Time.
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return FormatTimestamptz(x)
	}
	return fmt.Sprint(v)
}

// run parses and plans query (one statement), executes the plan with
// args and returns the result. ReadOnly statements run with
// PRAGMA query_only, which cross-checks the classification.
func (d *testDB) run(query string, oids []uint32, args ...any) (*result, error) {
	return d.runWith(d, query, oids, args...)
}

// runWith plans against schema (the database itself, or a wrapper).
func (d *testDB) runWith(schema Schema, query string, oids []uint32, args ...any) (*result, error) {
	stmts, err := Parse(query)
	if err != nil {
		return nil, err
	}
	var res *result
	for _, st := range stmts {
		res, err = d.runStmtWith(schema, st, oids, args...)
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (d *testDB) runStmt(st *Statement, oids []uint32, args ...any) (*result, error) {
	return d.runStmtWith(d, st, oids, args...)
}

func (d *testDB) runStmtWith(schema Schema, st *Statement, oids []uint32, args ...any) (*result, error) {
	ctx := context.Background()
	p, err := st.Plan(schema, oids)
	if err != nil {
		return nil, err
	}
	res := &result{plan: p, stmt: st}
	bind := make([]any, 0, len(p.Params)+len(p.Extra))
	bind = append(bind, args...)
	for len(bind) < len(p.Params) {
		bind = append(bind, nil)
	}
	for _, e := range p.Extra {
		bind = append(bind, extraValue(e))
	}
	if st.ReadOnly {
		if _, err := d.conn.ExecContext(ctx, "PRAGMA query_only = 1"); err != nil {
			return nil, err
		}
		defer d.conn.ExecContext(ctx, "PRAGMA query_only = 0")
	}
	tx, err := d.conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for i, q := range p.SQL {
		if i == len(p.SQL)-1 && p.Columns != nil && st.Kind != KindCopy {
			rows, err := tx.QueryContext(ctx, q, bind...)
			if err != nil {
				return nil, fmt.Errorf("%w\nSQL: %s", TranslateError(err), q)
			}
			var lines []string
			for rows.Next() {
				vals := make([]any, len(p.Columns))
				ptrs := make([]any, len(vals))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					return nil, err
				}
				var parts []string
				for _, v := range vals {
					parts = append(parts, formatValue(v))
				}
				lines = append(lines, strings.Join(parts, "|"))
			}
			if err := rows.Err(); err != nil {
				rows.Close()
				return nil, fmt.Errorf("%w\nSQL: %s", TranslateError(err), q)
			}
			rows.Close()
			res.rows = strings.Join(lines, "\n")
			continue
		}
		if _, err := tx.ExecContext(ctx, q, bind[:countParams(q, len(bind))]...); err != nil {
			return nil, fmt.Errorf("%w\nSQL: %s", TranslateError(err), q)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if p.SchemaChange {
		d.version.Add(1)
	}
	return res, nil
}

// countParams: statements of a multi-statement plan may use fewer
// parameters than bound; SQLite rejects extra ones.
func countParams(q string, n int) int {
	max := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if v, err := strconv.Atoi(q[i+1 : j]); err == nil && v > max {
				max = v
			}
		}
	}
	if max > n {
		return n
	}
	return max
}

func (d *testDB) mustRun(t testing.TB, query string) {
	t.Helper()
	if _, err := d.run(query, nil); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func codeOf(err error) string {
	if e := pgerr.As(err); e != nil {
		return string(e.Code)
	}
	return "?"
}
