package integration

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestPGX drives one node per query-exec mode with pgx v5.
func TestPGX(t *testing.T) {
	for _, m := range execModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			n := startNode(t)
			for _, sub := range []struct {
				name string
				fn   func(*testing.T, *node, pgx.QueryExecMode)
			}{
				{"types", pgxTypes},
				{"command_tags", pgxCommandTags},
				{"query_row", pgxQueryRow},
				{"returning", pgxReturning},
				{"transactions", pgxTransactions},
				{"begin_tx_options", pgxBeginTxOptions},
				{"savepoints", pgxSavepoints},
				{"prepare_deallocate", pgxPrepare},
				{"send_batch", pgxBatch},
				{"copy_from_100k", pgxCopyFrom},
				{"errors", pgxErrors},
				{"aborted_transaction", pgxAborted},
				{"cancel", pgxCancel},
				{"statement_timeout", pgxStatementTimeout},
			} {
				t.Run(sub.name, func(t *testing.T) { sub.fn(t, n, m.mode) })
			}
		})
	}
}

// pgxTypes inserts every type through a parameter into a table made with
// SQL, selects it back, casts a parameter with $1::type, and does the
// same with NULL.
func pgxTypes(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	for _, tc := range typeCases {
		t.Run(tc.name, func(t *testing.T) {
			skipKnownLimit(t, n, tc)
			ctx := testCtx(t)
			table := "types_" + tc.name
			mustExec(t, conn, fmt.Sprintf("CREATE TABLE %s (id int4 PRIMARY KEY, v %s)", table, tc.sqlType))

			ins := fmt.Sprintf("INSERT INTO %s (id, v) VALUES ($1, $2)", table)
			tag, err := conn.Exec(ctx, ins, int32(1), tc.in)
			if err != nil {
				t.Fatalf("%s with %s: %v", ins, show(tc.in), err)
			}
			if tag.String() != "INSERT 0 1" {
				t.Errorf("%s: command tag %q, want %q", ins, tag.String(), "INSERT 0 1")
			}

			sel := fmt.Sprintf("SELECT v FROM %s WHERE id = $1", table)
			got := newOf(tc.want)
			if err := conn.QueryRow(ctx, sel, int32(1)).Scan(got.Interface()); err != nil {
				t.Fatalf("%s: %v", sel, err)
			}
			if !tc.equal(got.Elem().Interface()) {
				t.Errorf("%s: got %s, want %s", sel, show(got.Elem().Interface()), show(tc.want))
			}

			cast := "SELECT $1::" + tc.sqlType
			got = newOf(tc.want)
			if err := conn.QueryRow(ctx, cast, tc.in).Scan(got.Interface()); err != nil {
				t.Fatalf("%s with %s: %v", cast, show(tc.in), err)
			}
			if !tc.equal(got.Elem().Interface()) {
				t.Errorf("%s: got %s, want %s", cast, show(got.Elem().Interface()), show(tc.want))
			}

			// NULL through a parameter, into the table and through a cast.
			if _, err := conn.Exec(ctx, ins, int32(2), nil); err != nil {
				t.Fatalf("%s with NULL: %v", ins, err)
			}
			for _, q := range []struct {
				sql string
				arg any
			}{{sel, int32(2)}, {cast, nil}} {
				ptr := reflect.New(reflect.PointerTo(reflect.TypeOf(tc.want)))
				ptr.Elem().Set(reflect.New(reflect.TypeOf(tc.want))) // non-nil, so that NULL must reset it
				if err := conn.QueryRow(ctx, q.sql, q.arg).Scan(ptr.Interface()); err != nil {
					t.Fatalf("%s (NULL): %v", q.sql, err)
				}
				if !ptr.Elem().IsNil() {
					t.Errorf("%s (NULL): got %s, want NULL", q.sql, show(ptr.Elem().Elem().Interface()))
				}
			}
			var nulls int64
			if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE v IS NULL", table)).Scan(&nulls); err != nil || nulls != 1 {
				t.Errorf("count of NULL rows in %s: got (%d, %v), want (1, nil)", table, nulls, err)
			}
		})
	}
}

func pgxCommandTags(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	if tag := mustExec(t, conn, "CREATE TABLE tags (id int4 PRIMARY KEY, name text)"); tag.String() != "CREATE TABLE" {
		t.Errorf("CREATE TABLE: command tag %q, want %q", tag.String(), "CREATE TABLE")
	}
	for _, tc := range []struct {
		name string
		sql  string
		args []any
		tag  string
		rows int64
	}{
		{"insert one", "INSERT INTO tags (id, name) VALUES ($1, $2)", []any{int32(1), "a"}, "INSERT 0 1", 1},
		{"insert two", "INSERT INTO tags (id, name) VALUES ($1, $2), ($3, $4)", []any{int32(2), "b", int32(3), "c"}, "INSERT 0 2", 2},
		{"insert literal", "INSERT INTO tags (id, name) VALUES (4, 'd')", nil, "INSERT 0 1", 1},
		{"update", "UPDATE tags SET name = $1 WHERE id >= $2", []any{"x", int32(2)}, "UPDATE 3", 3},
		{"update none", "UPDATE tags SET name = $1 WHERE id > $2", []any{"x", int32(100)}, "UPDATE 0", 0},
		{"delete", "DELETE FROM tags WHERE id = $1", []any{int32(4)}, "DELETE 1", 1},
		{"select", "SELECT id FROM tags WHERE id <= $1", []any{int32(2)}, "SELECT 2", 2},
		{"select literal", "SELECT id FROM tags", nil, "SELECT 3", 3},
		{"set", "SET application_name = 'itest'", nil, "SET", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tag, err := conn.Exec(testCtx(t), tc.sql, tc.args...)
			if err != nil {
				t.Fatalf("%s %v: %v", tc.sql, tc.args, err)
			}
			if tag.String() != tc.tag || tag.RowsAffected() != tc.rows {
				t.Errorf("%s: command tag %q (RowsAffected %d), want %q (%d)", tc.sql, tag.String(), tag.RowsAffected(), tc.tag, tc.rows)
			}
		})
	}
	if tag := mustExec(t, conn, "DROP TABLE tags"); tag.String() != "DROP TABLE" {
		t.Errorf("DROP TABLE: command tag %q, want %q", tag.String(), "DROP TABLE")
	}
}

func pgxQueryRow(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	ctx := testCtx(t)
	mustExec(t, conn, "CREATE TABLE qr (id int4 PRIMARY KEY, name text, score float8)")
	for i := int32(1); i <= 5; i++ {
		mustExec(t, conn, "INSERT INTO qr (id, name, score) VALUES ($1, $2, $3)", i, fmt.Sprintf("n%d", i), float64(i)/2)
	}
	var (
		id    int32
		name  string
		score float64
	)
	if err := conn.QueryRow(ctx, "SELECT id, name, score FROM qr WHERE id = $1", int32(3)).Scan(&id, &name, &score); err != nil {
		t.Fatalf("QueryRow id=3: %v", err)
	}
	if id != 3 || name != "n3" || score != 1.5 {
		t.Errorf("QueryRow id=3: got (%d, %q, %v), want (3, \"n3\", 1.5)", id, name, score)
	}
	err := conn.QueryRow(ctx, "SELECT id FROM qr WHERE id = $1", int32(99)).Scan(&id)
	if !errors.Is(err, pgx.ErrNoRows) {
		t.Errorf("QueryRow with no rows: got %v, want pgx.ErrNoRows", err)
	}
	rows, err := conn.Query(ctx, "SELECT id, name FROM qr WHERE id > $1 ORDER BY id DESC", int32(1))
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (int32, error) {
		var id int32
		var name string
		err := r.Scan(&id, &name)
		return id, err
	})
	if err != nil {
		t.Fatalf("Query rows: %v", err)
	}
	if want := []int32{5, 4, 3, 2}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Query ORDER BY id DESC: got %v, want %v", ids, want)
	}
	if tag := rows.CommandTag().String(); tag != "SELECT 4" {
		t.Errorf("Query command tag %q, want %q", tag, "SELECT 4")
	}
	fds := rows.FieldDescriptions()
	if len(fds) != 2 || fds[0].Name != "id" || fds[0].DataTypeOID != 23 || fds[1].Name != "name" || fds[1].DataTypeOID != 25 {
		t.Errorf("RowDescription: got %+v, want id int4 (23), name text (25)", fds)
	}
	var sum int64
	var avg float64
	if err := conn.QueryRow(ctx, "SELECT sum(id)::int8, avg(score)::float8 FROM qr").Scan(&sum, &avg); err != nil || sum != 15 || avg != 1.5 {
		t.Errorf("aggregates: got (%d, %v, %v), want (15, 1.5, nil)", sum, avg, err)
	}
}

func pgxReturning(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	ctx := testCtx(t)
	mustExec(t, conn, "CREATE TABLE ret (id int4 PRIMARY KEY, name text NOT NULL, n int4 NOT NULL DEFAULT 7)")
	var (
		id   int32
		name string
		def  int32
	)
	if err := conn.QueryRow(ctx, "INSERT INTO ret (id, name) VALUES ($1, $2) RETURNING id, name, n", int32(1), "one").Scan(&id, &name, &def); err != nil {
		t.Fatalf("INSERT … RETURNING: %v", err)
	}
	if id != 1 || name != "one" || def != 7 {
		t.Errorf("INSERT … RETURNING id, name, n: got (%d, %q, %d), want (1, \"one\", 7)", id, name, def)
	}
	rows, err := conn.Query(ctx, "INSERT INTO ret (id, name) VALUES ($1, 'a'), ($2, 'b') RETURNING id", int32(2), int32(3))
	if err != nil {
		t.Fatalf("multi-row INSERT … RETURNING: %v", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || !reflect.DeepEqual(ids, []int32{2, 3}) {
		t.Errorf("multi-row INSERT … RETURNING id: got (%v, %v), want ([2 3], nil)", ids, err)
	}
	if tag := rows.CommandTag().String(); tag != "INSERT 0 2" {
		t.Errorf("multi-row INSERT … RETURNING: command tag %q, want %q", tag, "INSERT 0 2")
	}
	if err := conn.QueryRow(ctx, "UPDATE ret SET n = n + $1 WHERE id = $2 RETURNING n", int32(10), int32(1)).Scan(&def); err != nil || def != 17 {
		t.Errorf("UPDATE … RETURNING n: got (%d, %v), want (17, nil)", def, err)
	}
	if err := conn.QueryRow(ctx, "DELETE FROM ret WHERE id = $1 RETURNING name", int32(1)).Scan(&name); err != nil || name != "one" {
		t.Errorf("DELETE … RETURNING name: got (%q, %v), want (\"one\", nil)", name, err)
	}
}

func countRows(t *testing.T, conn *pgx.Conn, table string) int64 {
	t.Helper()
	var c int64
	if err := conn.QueryRow(testCtx(t), "SELECT count(*) FROM "+table).Scan(&c); err != nil {
		t.Fatalf("SELECT count(*) FROM %s: %v", table, err)
	}
	return c
}

func pgxTransactions(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	other := connectPGX(t, n, mode)
	ctx := testCtx(t)
	mustExec(t, conn, "CREATE TABLE txt (id int4 PRIMARY KEY)")

	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if s := conn.PgConn().TxStatus(); s != 'T' {
		t.Errorf("ReadyForQuery status after BEGIN: %q, want 'T'", s)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO txt (id) VALUES ($1)", int32(1)); err != nil {
		t.Fatalf("insert in tx: %v", err)
	}
	if c := countRows(t, other, "txt"); c != 0 {
		t.Errorf("another connection sees %d uncommitted rows, want 0", c)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if s := conn.PgConn().TxStatus(); s != 'I' {
		t.Errorf("ReadyForQuery status after COMMIT: %q, want 'I'", s)
	}
	if c := countRows(t, other, "txt"); c != 1 {
		t.Errorf("after COMMIT another connection sees %d rows, want 1", c)
	}

	tx, err = conn.Begin(ctx)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO txt (id) VALUES ($1)", int32(2)); err != nil {
		t.Fatalf("insert in tx: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if c := countRows(t, conn, "txt"); c != 1 {
		t.Errorf("after ROLLBACK: %d rows, want 1", c)
	}

	// Explicit statements and their tags, including END for COMMIT.
	for _, tc := range []struct{ sql, tag string }{
		{"BEGIN", "BEGIN"}, {"INSERT INTO txt (id) VALUES (3)", "INSERT 0 1"}, {"END", "COMMIT"},
		{"START TRANSACTION", "START TRANSACTION"}, {"INSERT INTO txt (id) VALUES (4)", "INSERT 0 1"}, {"ROLLBACK", "ROLLBACK"},
	} {
		if tag := mustExec(t, conn, tc.sql); tag.String() != tc.tag {
			t.Errorf("%s: command tag %q, want %q", tc.sql, tag.String(), tc.tag)
		}
	}
	if c := countRows(t, conn, "txt"); c != 2 {
		t.Errorf("after BEGIN/END and START TRANSACTION/ROLLBACK: %d rows, want 2", c)
	}
}

func pgxBeginTxOptions(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	mustExec(t, conn, "CREATE TABLE txo (id int4 PRIMARY KEY)")
	for i, tc := range []struct {
		name string
		opts pgx.TxOptions
	}{
		{"read_committed", pgx.TxOptions{IsoLevel: pgx.ReadCommitted}},
		{"repeatable_read", pgx.TxOptions{IsoLevel: pgx.RepeatableRead}},
		{"serializable", pgx.TxOptions{IsoLevel: pgx.Serializable}},
		{"read_write", pgx.TxOptions{AccessMode: pgx.ReadWrite}},
		{"read_only", pgx.TxOptions{AccessMode: pgx.ReadOnly}},
		{"serializable_read_only", pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly}},
		{"serializable_read_only_deferrable", pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly, DeferrableMode: pgx.Deferrable}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			tx, err := conn.BeginTx(ctx, tc.opts)
			if err != nil {
				t.Fatalf("BeginTx(%+v): %v", tc.opts, err)
			}
			defer tx.Rollback(ctx)
			var c int64
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM txo").Scan(&c); err != nil {
				t.Fatalf("select in tx: %v", err)
			}
			_, err = tx.Exec(ctx, "INSERT INTO txo (id) VALUES ($1)", int32(i))
			if tc.opts.AccessMode == pgx.ReadOnly {
				wantSQLState(t, "INSERT in a READ ONLY transaction", err, "25006")
				if err := tx.Rollback(ctx); err != nil {
					t.Fatalf("Rollback: %v", err)
				}
			} else {
				if err != nil {
					t.Fatalf("INSERT in %s transaction: %v", tc.name, err)
				}
				if err := tx.Commit(ctx); err != nil {
					t.Fatalf("Commit: %v", err)
				}
			}
			checkUsable(t, conn, "BeginTx "+tc.name)
		})
	}
	if c := countRows(t, conn, "txo"); c != 4 {
		t.Errorf("rows committed by the read-write transactions: %d, want 4", c)
	}
}

func pgxSavepoints(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	ctx := testCtx(t)
	mustExec(t, conn, "CREATE TABLE sp (id int4 PRIMARY KEY)")
	ins := func(tx pgx.Tx, id int32) {
		t.Helper()
		if _, err := tx.Exec(ctx, "INSERT INTO sp (id) VALUES ($1)", id); err != nil {
			t.Fatalf("insert %d: %v", id, err)
		}
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	ins(tx, 1)
	nested, err := tx.Begin(ctx) // SAVEPOINT sp_1
	if err != nil {
		t.Fatalf("nested Begin (SAVEPOINT): %v", err)
	}
	ins(nested, 2)
	if err := nested.Rollback(ctx); err != nil { // ROLLBACK TO SAVEPOINT sp_1
		t.Fatalf("nested Rollback (ROLLBACK TO SAVEPOINT): %v", err)
	}
	nested, err = tx.Begin(ctx)
	if err != nil {
		t.Fatalf("second nested Begin: %v", err)
	}
	ins(nested, 3)
	deeper, err := nested.Begin(ctx)
	if err != nil {
		t.Fatalf("doubly nested Begin: %v", err)
	}
	ins(deeper, 4)
	if err := deeper.Commit(ctx); err != nil { // RELEASE SAVEPOINT
		t.Fatalf("doubly nested Commit (RELEASE SAVEPOINT): %v", err)
	}
	if err := nested.Commit(ctx); err != nil {
		t.Fatalf("nested Commit (RELEASE SAVEPOINT): %v", err)
	}
	// An error inside a savepoint, rolled back to it, leaves the
	// transaction usable.
	nested, err = tx.Begin(ctx)
	if err != nil {
		t.Fatalf("third nested Begin: %v", err)
	}
	_, err = nested.Exec(ctx, "INSERT INTO sp (id) VALUES ($1)", int32(1))
	wantSQLState(t, "duplicate insert inside a savepoint", err, "23505")
	if err := nested.Rollback(ctx); err != nil {
		t.Fatalf("ROLLBACK TO SAVEPOINT after an error: %v", err)
	}
	ins(tx, 5)
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	rows, err := conn.Query(ctx, "SELECT id FROM sp ORDER BY id")
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if want := []int32{1, 3, 4, 5}; err != nil || !reflect.DeepEqual(ids, want) {
		t.Errorf("rows after savepoints: got (%v, %v), want (%v, nil)", ids, err, want)
	}
}

func pgxPrepare(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	ctx := testCtx(t)
	sd, err := conn.Prepare(ctx, "add_one", "SELECT $1::int4 + 1 AS next")
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if len(sd.ParamOIDs) != 1 || sd.ParamOIDs[0] != 23 {
		t.Errorf("ParameterDescription: got %v, want [23]", sd.ParamOIDs)
	}
	if len(sd.Fields) != 1 || sd.Fields[0].Name != "next" || sd.Fields[0].DataTypeOID != 23 {
		t.Errorf("RowDescription: got %+v, want one int4 (23) column \"next\"", sd.Fields)
	}
	for _, in := range []int32{41, -1} {
		var got int32
		if err := conn.QueryRow(ctx, "add_one", in).Scan(&got); err != nil || got != in+1 {
			t.Errorf("execute add_one(%d): got (%d, %v), want (%d, nil)", in, got, err, in+1)
		}
	}
	// A statement with no parameters and no rows: ParameterDescription
	// with zero parameters, then NoData.
	mustExec(t, conn, "CREATE TABLE prep (id int4)")
	sd, err = conn.Prepare(ctx, "ins_prep", "INSERT INTO prep (id) VALUES (1)")
	if err != nil {
		t.Fatalf("Prepare INSERT: %v", err)
	}
	if len(sd.ParamOIDs) != 0 || len(sd.Fields) != 0 {
		t.Errorf("Prepare INSERT without parameters: got params %v, fields %v, want none", sd.ParamOIDs, sd.Fields)
	}
	if tag, err := conn.Exec(ctx, "ins_prep"); err != nil || tag.String() != "INSERT 0 1" {
		t.Errorf("execute ins_prep: got (%q, %v), want (\"INSERT 0 1\", nil)", tag.String(), err)
	}
	// Parameter types inferred from the target column.
	sd, err = conn.Prepare(ctx, "ins_param", "INSERT INTO prep (id) VALUES ($1)")
	if err != nil {
		t.Fatalf("Prepare INSERT $1: %v", err)
	}
	if len(sd.ParamOIDs) != 1 || sd.ParamOIDs[0] != 23 {
		t.Errorf("Prepare INSERT INTO prep (id int4) VALUES ($1): parameter OIDs %v, want [23]", sd.ParamOIDs)
	}
	sd, err = conn.Prepare(ctx, "where_param", "SELECT id FROM prep WHERE id > $1")
	if err != nil {
		t.Fatalf("Prepare WHERE id > $1: %v", err)
	}
	if len(sd.ParamOIDs) != 1 || sd.ParamOIDs[0] != 23 {
		t.Errorf("Prepare SELECT … WHERE id (int4) > $1: parameter OIDs %v, want [23]", sd.ParamOIDs)
	}
	if err := conn.Deallocate(ctx, "add_one"); err != nil {
		t.Fatalf("Deallocate: %v", err)
	}
	// After Deallocate the name is no longer a prepared statement; pgx
	// sends it as SQL, which is a syntax error.
	_, err = conn.Exec(ctx, "add_one", int32(1))
	if err == nil {
		t.Errorf("execute add_one after Deallocate: got no error, want one")
	}
	checkUsable(t, conn, "executing a deallocated statement")
	// DEALLOCATE of the statement on the server is visible: preparing the
	// same name again works.
	if _, err := conn.Prepare(ctx, "add_one", "SELECT $1::int4 + 2"); err != nil {
		t.Errorf("Prepare add_one again after Deallocate: %v", err)
	}
	if err := conn.DeallocateAll(ctx); err != nil {
		t.Errorf("DeallocateAll: %v", err)
	}
	checkUsable(t, conn, "DeallocateAll")
}

func pgxBatch(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	ctx := testCtx(t)
	mustExec(t, conn, "CREATE TABLE bt (id int4 PRIMARY KEY, name text)")
	b := &pgx.Batch{}
	for i := int32(1); i <= 3; i++ {
		b.Queue("INSERT INTO bt (id, name) VALUES ($1, $2)", i, fmt.Sprintf("b%d", i))
	}
	b.Queue("SELECT count(*) FROM bt")
	b.Queue("SELECT name FROM bt WHERE id = $1", int32(2))
	b.Queue("UPDATE bt SET name = $1 WHERE id > $2", "z", int32(1))
	br := conn.SendBatch(ctx, b)
	for i := 1; i <= 3; i++ {
		tag, err := br.Exec()
		if err != nil || tag.String() != "INSERT 0 1" {
			t.Errorf("batch insert %d: got (%q, %v), want (\"INSERT 0 1\", nil)", i, tag.String(), err)
		}
	}
	var c int64
	if err := br.QueryRow().Scan(&c); err != nil || c != 3 {
		t.Errorf("batch count: got (%d, %v), want (3, nil)", c, err)
	}
	var name string
	if err := br.QueryRow().Scan(&name); err != nil || name != "b2" {
		t.Errorf("batch select: got (%q, %v), want (\"b2\", nil)", name, err)
	}
	if tag, err := br.Exec(); err != nil || tag.String() != "UPDATE 2" {
		t.Errorf("batch update: got (%q, %v), want (\"UPDATE 2\", nil)", tag.String(), err)
	}
	if err := br.Close(); err != nil {
		t.Fatalf("batch Close: %v", err)
	}

	// An error in the middle of a batch: the statements before it ran,
	// the failing one reports its SQLSTATE, and the connection is usable.
	b = &pgx.Batch{}
	b.Queue("INSERT INTO bt (id, name) VALUES ($1, $2)", int32(10), "ok")
	b.Queue("INSERT INTO bt (id, name) VALUES ($1, $2)", int32(1), "dup")
	b.Queue("SELECT 1")
	br = conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		t.Errorf("batch with error, first insert: %v", err)
	}
	_, err := br.Exec()
	wantSQLState(t, "batch with error, duplicate insert", err, "23505")
	_ = br.Close()
	checkUsable(t, conn, "a failed batch")
}

func pgxCopyFrom(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	ctx := testCtx(t)
	mustExec(t, conn, "CREATE TABLE cp (id int8 PRIMARY KEY, name text, score float8, at timestamptz)")
	const total = 100_000
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == total {
			return nil, nil
		}
		i++
		var name any = fmt.Sprintf("row %d\twith tab", i)
		if i%10 == 0 {
			name = nil
		}
		return []any{int64(i), name, float64(i) / 4, base.Add(time.Duration(i) * time.Second)}, nil
	})
	start := time.Now()
	copied, err := conn.CopyFrom(ctx, pgx.Identifier{"cp"}, []string{"id", "name", "score", "at"}, src)
	if err != nil {
		t.Fatalf("CopyFrom: %v (after %d rows)", err, i)
	}
	t.Logf("CopyFrom of %d rows took %v", total, time.Since(start))
	if copied != total {
		t.Errorf("CopyFrom returned %d, want %d", copied, total)
	}
	var (
		count, names, sum int64
		scores            float64
	)
	if err := conn.QueryRow(ctx, "SELECT count(*), count(name), sum(id)::int8, sum(score)::float8 FROM cp").Scan(&count, &names, &sum, &scores); err != nil {
		t.Fatalf("count copied rows: %v", err)
	}
	if count != total || names != total-total/10 || sum != total*(total+1)/2 || scores != float64(total)*(total+1)/8 {
		t.Errorf("copied rows: count %d, non-null names %d, sum(id) %d, sum(score) %v; want %d, %d, %d, %v",
			count, names, sum, scores, total, total-total/10, int64(total*(total+1)/2), float64(total)*(total+1)/8)
	}
	var (
		name string
		at   time.Time
	)
	if err := conn.QueryRow(ctx, "SELECT name, at FROM cp WHERE id = $1", int64(12345)).Scan(&name, &at); err != nil {
		t.Fatalf("select row 12345: %v", err)
	}
	if want := base.Add(12345 * time.Second); name != "row 12345\twith tab" || !at.Equal(want) {
		t.Errorf("row 12345: got (%q, %v), want (%q, %v)", name, at, "row 12345\twith tab", want)
	}
}

// errorCases are statements that must fail with a given SQLSTATE.
var errorCases = []struct {
	name string
	sql  string
	args []any
	code string
}{
	{"unique", "INSERT INTO parent (id) VALUES ($1)", []any{int32(1)}, "23505"},
	{"not_null", "INSERT INTO child (id, pid, qty) VALUES ($1, $2, $3)", []any{int32(2), nil, int32(1)}, "23502"},
	{"check", "INSERT INTO child (id, pid, qty) VALUES ($1, $2, $3)", []any{int32(3), int32(1), int32(0)}, "23514"},
	{"foreign_key", "INSERT INTO child (id, pid, qty) VALUES ($1, $2, $3)", []any{int32(4), int32(99), int32(1)}, "23503"},
	{"foreign_key_delete", "DELETE FROM parent WHERE id = $1", []any{int32(1)}, "23503"},
	{"division_by_zero", "SELECT 1/0", nil, "22012"},
	{"division_by_zero_param", "SELECT $1::int4 / 0", []any{int32(1)}, "22012"},
	{"invalid_text_representation", "SELECT 'abc'::int4", nil, "22P02"},
	{"undefined_table", "SELECT * FROM no_such_table", nil, "42P01"},
	{"undefined_table_param", "SELECT * FROM no_such_table WHERE id = $1", []any{int32(1)}, "42P01"},
	{"undefined_column", "SELECT no_such_column FROM parent", nil, "42703"},
	{"undefined_column_param", "SELECT no_such_column FROM parent WHERE id = $1", []any{int32(1)}, "42703"},
	{"syntax", "SELEC 1", nil, "42601"},
	{"syntax_param", "SELECT $1 FROM WHERE", []any{int32(1)}, "42601"},
}

func pgxErrors(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	mustExec(t, conn, "CREATE TABLE parent (id int4 PRIMARY KEY)")
	mustExec(t, conn, "CREATE TABLE child (id int4 PRIMARY KEY, pid int4 NOT NULL REFERENCES parent (id), qty int4 CHECK (qty > 0))")
	mustExec(t, conn, "INSERT INTO parent (id) VALUES (1)")
	mustExec(t, conn, "INSERT INTO child (id, pid, qty) VALUES (1, 1, 1)")
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			// Query, not Exec, so that a SELECT is read to its end.
			rows, err := conn.Query(ctx, tc.sql, tc.args...)
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
			}
			wantSQLState(t, fmt.Sprintf("%s %v", tc.sql, tc.args), err, tc.code)
			checkUsable(t, conn, tc.name)
		})
	}
	if c := countRows(t, conn, "child"); c != 1 {
		t.Errorf("child rows after failed inserts: %d, want 1", c)
	}
}

func pgxAborted(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	ctx := testCtx(t)
	mustExec(t, conn, "CREATE TABLE ab (id int4 PRIMARY KEY)")
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO ab (id) VALUES ($1)", int32(1)); err != nil {
		t.Fatalf("insert: %v", err)
	}
	_, err = tx.Exec(ctx, "SELECT 1/0")
	wantSQLState(t, "SELECT 1/0 in a transaction", err, "22012")
	if s := conn.PgConn().TxStatus(); s != 'E' {
		t.Errorf("ReadyForQuery status after an error in a transaction: %q, want 'E'", s)
	}
	_, err = tx.Exec(ctx, "SELECT 1")
	wantSQLState(t, "SELECT 1 after an error in the transaction", err, "25P02")
	_, err = tx.Exec(ctx, "INSERT INTO ab (id) VALUES ($1)", int32(2))
	wantSQLState(t, "INSERT with a parameter after an error in the transaction", err, "25P02")
	if err := tx.Rollback(ctx); err != nil {
		t.Fatalf("ROLLBACK of the failed transaction: %v", err)
	}
	if s := conn.PgConn().TxStatus(); s != 'I' {
		t.Errorf("ReadyForQuery status after ROLLBACK: %q, want 'I'", s)
	}
	checkUsable(t, conn, "ROLLBACK of a failed transaction")
	if c := countRows(t, conn, "ab"); c != 0 {
		t.Errorf("rows after ROLLBACK of the failed transaction: %d, want 0", c)
	}
	// COMMIT of a failed transaction rolls back and reports ROLLBACK.
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO ab (id) VALUES (3)")
	if _, err := conn.Exec(ctx, "SELECT * FROM no_such_table"); err == nil {
		t.Fatalf("select from a missing table succeeded")
	}
	if tag, err := conn.Exec(ctx, "COMMIT"); err != nil || tag.String() != "ROLLBACK" {
		t.Errorf("COMMIT of a failed transaction: got (%q, %v), want (\"ROLLBACK\", nil)", tag.String(), err)
	}
	if c := countRows(t, conn, "ab"); c != 0 {
		t.Errorf("rows after COMMIT of a failed transaction: %d, want 0", c)
	}
}

// longQuery counts to $1 in a recursive CTE: many seconds for 1e9 on any
// machine, yet it terminates if cancellation is broken.
const longQuery = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1) SELECT count(*) FROM c"

func pgxCancel(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	var c int64
	err := conn.QueryRow(ctx, longQuery, int64(1_000_000_000)).Scan(&c)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatalf("long query finished with %d after %v despite the cancel", c, elapsed)
	}
	if code := sqlState(err); code != "57014" {
		t.Fatalf("cancelled long query (context timeout 300ms, CancelRequest): got %q (SQLSTATE %q) after %v, want SQLSTATE 57014", err, code, elapsed)
	}
	if elapsed > 5*time.Second {
		t.Errorf("cancel took %v, want well under 5s", elapsed)
	}
	checkUsable(t, conn, "a cancelled query")
}

func pgxStatementTimeout(t *testing.T, n *node, mode pgx.QueryExecMode) {
	conn := connectPGX(t, n, mode)
	if tag := mustExec(t, conn, "SET statement_timeout = '100ms'"); tag.String() != "SET" {
		t.Errorf("SET statement_timeout: command tag %q, want SET", tag.String())
	}
	var shown string
	if err := conn.QueryRow(testCtx(t), "SHOW statement_timeout").Scan(&shown); err != nil || shown != "100ms" {
		t.Errorf("SHOW statement_timeout: got (%q, %v), want (\"100ms\", nil)", shown, err)
	}
	// The context bounds the test if the timeout never fires.
	ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Second)
	defer cancel()
	start := time.Now()
	var c int64
	err := conn.QueryRow(ctx, longQuery, int64(1_000_000_000)).Scan(&c)
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("statement_timeout 100ms did not stop the long query within 10s (the test's context cancelled it: %v)", err)
	}
	wantSQLState(t, fmt.Sprintf("long query under statement_timeout=100ms (after %v)", elapsed), err, "57014")
	if elapsed > 3*time.Second {
		t.Errorf("statement_timeout=100ms fired after %v", elapsed)
	}
	mustExec(t, conn, "RESET statement_timeout")
	checkUsable(t, conn, "statement_timeout")
	if err := conn.QueryRow(testCtx(t), longQuery, int64(1000)).Scan(&c); err != nil || c != 1000 {
		t.Errorf("short query after RESET statement_timeout: got (%d, %v), want (1000, nil)", c, err)
	}
}

// TestPGXProtocol covers what does not depend on the query-exec mode:
// both wire formats for every type, multi-statement simple queries, the
// empty query, and the implicit transaction of a simple query.
func TestPGXProtocol(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	t.Run("formats", func(t *testing.T) { pgxFormats(t, n) })
	t.Run("multi_statement", func(t *testing.T) {
		conn := connectPGX(t, n, pgx.QueryExecModeSimpleProtocol)
		ctx := testCtx(t)
		results, err := conn.PgConn().Exec(ctx, "SELECT 1 AS a; SELECT 'two' AS b, 3 AS c; CREATE TABLE ms (id int4); INSERT INTO ms VALUES (1), (2)").ReadAll()
		if err != nil {
			t.Fatalf("multi-statement query: %v", err)
		}
		wantTags := []string{"SELECT 1", "SELECT 1", "CREATE TABLE", "INSERT 0 2"}
		if len(results) != len(wantTags) {
			t.Fatalf("multi-statement query: %d results, want %d", len(results), len(wantTags))
		}
		for i, r := range results {
			if r.CommandTag.String() != wantTags[i] {
				t.Errorf("result %d: command tag %q, want %q", i, r.CommandTag.String(), wantTags[i])
			}
		}
		if got := fmt.Sprintf("%s|%s,%s", results[0].Rows[0][0], results[1].Rows[0][0], results[1].Rows[0][1]); got != "1|two,3" {
			t.Errorf("multi-statement values: got %q, want %q", got, "1|two,3")
		}
		if names := fmt.Sprintf("%s %s %s", results[0].FieldDescriptions[0].Name, results[1].FieldDescriptions[0].Name, results[1].FieldDescriptions[1].Name); names != "a b c" {
			t.Errorf("multi-statement column names: got %q, want %q", names, "a b c")
		}
		// One implicit transaction: an error rolls back the statements
		// before it in the same string.
		_, err = conn.PgConn().Exec(ctx, "INSERT INTO ms VALUES (10); SELECT 1/0; INSERT INTO ms VALUES (11)").ReadAll()
		wantSQLState(t, "multi-statement query with 1/0 in the middle", err, "22012")
		if c := countRows(t, conn, "ms"); c != 2 {
			t.Errorf("rows after a failed multi-statement query: %d, want 2 (the implicit transaction must roll back)", c)
		}
		if s := conn.PgConn().TxStatus(); s != 'I' {
			t.Errorf("status after a failed multi-statement query: %q, want 'I'", s)
		}
	})
	t.Run("empty_query", func(t *testing.T) {
		conn := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
		ctx := testCtx(t)
		if err := conn.Ping(ctx); err != nil { // sends "-- ping"
			t.Fatalf("Ping (-- ping): %v", err)
		}
		for _, q := range []string{";", "", "  ", "-- just a comment"} {
			results, err := conn.PgConn().Exec(ctx, q).ReadAll()
			if err != nil {
				t.Errorf("empty query %q: %v", q, err)
				continue
			}
			if len(results) != 1 || results[0].CommandTag.String() != "" || len(results[0].Rows) != 0 {
				t.Errorf("empty query %q: got %d results %+v, want one empty result (EmptyQueryResponse)", q, len(results), results)
			}
		}
		checkUsable(t, conn, "empty queries")
	})
	t.Run("cancel_wrong_key", func(t *testing.T) {
		conn := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
		ctx := testCtx(t)
		// Size a query to about a second, then send a CancelRequest with
		// the right process ID and a wrong secret while it runs.
		start := time.Now()
		var c int64
		if err := conn.QueryRow(ctx, longQuery, int64(100_000)).Scan(&c); err != nil {
			t.Fatalf("calibration query: %v", err)
		}
		target := min(max(int64(time.Second)/max(int64(time.Since(start))/100_000, 1), 200_000), 100_000_000)
		done := make(chan error, 1)
		go func() { done <- conn.QueryRow(ctx, longQuery, target).Scan(&c) }()
		time.Sleep(100 * time.Millisecond)
		pc := conn.PgConn()
		wrong := append([]byte(nil), pc.SecretKey()...)
		if len(wrong) == 0 {
			wrong = []byte{0, 0, 0, 0}
		}
		for i := range wrong {
			wrong[i] ^= 0xff
		}
		raw, err := net.DialTimeout("tcp", n.addr(), 5*time.Second)
		if err != nil {
			t.Fatalf("dial for CancelRequest: %v", err)
		}
		msg := binary.BigEndian.AppendUint32(nil, uint32(12+len(wrong)))
		msg = binary.BigEndian.AppendUint32(msg, 80877102)
		msg = binary.BigEndian.AppendUint32(msg, pc.PID())
		msg = append(msg, wrong...)
		if _, err := raw.Write(msg); err != nil {
			t.Fatalf("write CancelRequest: %v", err)
		}
		_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
		if k, err := raw.Read(make([]byte, 1)); k != 0 || err == nil {
			t.Errorf("CancelRequest: server answered %d bytes (err %v), want it to close the socket without a reply", k, err)
		}
		raw.Close()
		if err := <-done; err != nil || c != target {
			t.Errorf("query under a CancelRequest with a wrong key: got (%d, %v), want (%d, nil)", c, err, target)
		}
	})
	t.Run("copy_text_csv", func(t *testing.T) {
		conn := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
		pc := conn.PgConn()
		ctx := testCtx(t)
		mustExec(t, conn, "CREATE TABLE ct (id int4, name text, note text)")
		var b strings.Builder
		for i := 1; i <= 20000; i++ {
			fmt.Fprintf(&b, "%d\tname %d\\twith tab\t\\N\n", i, i)
		}
		for _, tc := range []struct {
			name, sql string
			r         io.Reader
			tag       string
		}{
			// pgconn sends 64 KiB CopyData messages that split rows.
			{"text_large_chunks", "COPY ct (id, name, note) FROM STDIN", strings.NewReader(b.String()), "COPY 20000"},
			// One CopyData per row, as pgbench -i sends, ending with \.
			{"text_row_per_message", "COPY ct FROM STDIN", &lineReader{lines: strings.SplitAfter("20001\ta\tb\n20002\t\\N\tc\n\\.\n", "\n")}, "COPY 2"},
			{"csv_header_options", "COPY ct FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';', NULL 'NULL', QUOTE '\"')",
				strings.NewReader("id;name;note\n20003;\"a;b\";NULL\n20004;\"say \"\"hi\"\"\";\n"), "COPY 2"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tag, err := pc.CopyFrom(ctx, tc.r, tc.sql)
				if err != nil || tag.String() != tc.tag {
					t.Fatalf("%s: got (%q, %v), want (%q, nil)", tc.sql, tag.String(), err, tc.tag)
				}
			})
		}
		// CopyFail: the client aborts; nothing of it is kept.
		_, err := pc.CopyFrom(ctx, io.MultiReader(strings.NewReader("30000\tx\ty\n"), failingReader{}), "COPY ct FROM STDIN")
		if err == nil {
			t.Errorf("COPY aborted by the client (CopyFail): got no error")
		}
		checkUsable(t, conn, "CopyFail")
		var count, names, notes int64
		if err := conn.QueryRow(ctx, "SELECT count(*), count(name), count(note) FROM ct").Scan(&count, &names, &notes); err != nil {
			t.Fatalf("count: %v", err)
		}
		if count != 20004 || names != 20003 || notes != 3 {
			t.Errorf("rows after COPY FROM: count %d, names %d, notes %d; want 20004, 20003, 3", count, names, notes)
		}
		for _, tc := range []struct{ sql, want, tag string }{
			{"COPY (SELECT id, name, note FROM ct WHERE id <= 2 OR id >= 20002 ORDER BY id) TO STDOUT",
				"1\tname 1\\twith tab\t\\N\n2\tname 2\\twith tab\t\\N\n20002\t\\N\tc\n20003\ta;b\t\\N\n20004\tsay \"hi\"\t\n", "COPY 5"},
			{"COPY (SELECT id, name, note FROM ct WHERE id = 1 OR id >= 20002 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)",
				"id,name,note\n1,name 1\twith tab,\n20002,,c\n20003,a;b,\n20004,\"say \"\"hi\"\"\",\"\"\n", "COPY 4"},
		} {
			var out bytes.Buffer
			tag, err := pc.CopyTo(ctx, &out, tc.sql)
			if err != nil || tag.String() != tc.tag || out.String() != tc.want {
				t.Errorf("%s: got (%q, %q, %v), want (%q, %q, nil)", tc.sql, tag.String(), out.String(), err, tc.tag, tc.want)
			}
		}
	})
	t.Run("database_name", func(t *testing.T) {
		other := startNode(t, "--database", "appdb")
		conn := connectPGX(t, other, pgx.QueryExecModeCacheStatement, "dbname=appdb")
		checkUsable(t, conn, "connecting to --database appdb")
		cfg, err := pgx.ParseConfig(other.dsn("dbname=nosuchdb"))
		if err != nil {
			t.Fatalf("parse config: %v", err)
		}
		_, err = pgx.ConnectConfig(testCtx(t), cfg)
		wantSQLState(t, "connect to database nosuchdb", err, "3D000")
	})
	t.Run("parameter_status", func(t *testing.T) {
		conn := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
		pc := conn.PgConn()
		for _, tc := range []struct{ name, want string }{
			{"client_encoding", "UTF8"}, {"server_encoding", "UTF8"}, {"DateStyle", "ISO, MDY"},
			{"standard_conforming_strings", "on"}, {"integer_datetimes", "on"}, {"IntervalStyle", "postgres"},
			{"server_version", ""}, {"TimeZone", ""}, {"is_superuser", ""}, {"session_authorization", "postgres"},
			{"application_name", ""}, {"default_transaction_read_only", "off"}, {"in_hot_standby", "off"},
		} {
			got := pc.ParameterStatus(tc.name)
			switch {
			case tc.name == "server_version" && (len(got) < 2 || got[0] < '1' || got[0] > '9'):
				t.Errorf("ParameterStatus server_version = %q, want a PostgreSQL version such as 15.0", got)
			case tc.want != "" && got != tc.want:
				t.Errorf("ParameterStatus %s = %q, want %q", tc.name, got, tc.want)
			case tc.want == "" && tc.name != "application_name" && got == "":
				t.Errorf("ParameterStatus %s missing", tc.name)
			}
		}
		if pc.PID() == 0 && pc.SecretKey() == nil {
			t.Errorf("BackendKeyData: pid 0 and no secret key")
		}
	})
}

// pgxFormats sends every type as a text and as a binary parameter and reads
// it back as a text and as a binary column, through pgconn so that the
// formats are exactly the ones asked for.
func pgxFormats(t *testing.T, n *node) {
	conn := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
	pc := conn.PgConn()
	m := conn.TypeMap()
	formats := []struct {
		name string
		code int16
	}{{"text", 0}, {"binary", 1}}
	for _, tc := range typeCases {
		t.Run(tc.name, func(t *testing.T) {
			skipKnownLimit(t, n, tc)
			ctx := testCtx(t)
			table := "fmt_" + tc.name
			mustExec(t, conn, fmt.Sprintf("CREATE TABLE %s (id int4 PRIMARY KEY, v %s)", table, tc.sqlType))
			id := int32(0)
			for _, pf := range formats {
				param, err := m.Encode(tc.oid, pf.code, tc.in, nil)
				if err != nil {
					t.Fatalf("encode %s in %s: %v", show(tc.in), pf.name, err)
				}
				for _, rf := range formats {
					t.Run(pf.name+"_in_"+rf.name+"_out", func(t *testing.T) {
						id++
						// The id goes as text, so that only the value's
						// format varies.
						idParam := []byte(strconv.Itoa(int(id)))
						// Cast with the parameter type given in Parse.
						cast := "SELECT $1::" + tc.sqlType
						res := pc.ExecParams(ctx, cast, [][]byte{param}, []uint32{tc.oid}, []int16{pf.code}, []int16{rf.code}).Read()
						checkFormatResult(t, m, tc, cast, rf.code, res)
						// Insert with the parameter types left to the server
						// (OID 0, as pgx and lib/pq send), then select back.
						ins := fmt.Sprintf("INSERT INTO %s (id, v) VALUES ($1, $2)", table)
						res = pc.ExecParams(ctx, ins, [][]byte{idParam, param}, nil, []int16{0, pf.code}, nil).Read()
						if res.Err != nil {
							t.Fatalf("%s with untyped %s parameters: %v", ins, pf.name, res.Err)
						}
						if res.CommandTag.String() != "INSERT 0 1" {
							t.Errorf("%s: command tag %q, want %q", ins, res.CommandTag.String(), "INSERT 0 1")
						}
						sel := fmt.Sprintf("SELECT v FROM %s WHERE id = $1", table)
						res = pc.ExecParams(ctx, sel, [][]byte{idParam}, nil, []int16{0}, []int16{rf.code}).Read()
						checkFormatResult(t, m, tc, sel, rf.code, res)
					})
				}
			}
		})
	}
}

func checkFormatResult(t *testing.T, m interface {
	Scan(oid uint32, formatCode int16, src []byte, dst any) error
}, tc typeCase, sql string, format int16, res *pgconn.Result) {
	t.Helper()
	if res.Err != nil {
		t.Fatalf("%s: %v", sql, res.Err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 || len(res.FieldDescriptions) != 1 {
		t.Fatalf("%s: got %d rows, %d fields, want 1 row with 1 column", sql, len(res.Rows), len(res.FieldDescriptions))
	}
	fd := res.FieldDescriptions[0]
	if fd.DataTypeOID != tc.oid {
		t.Errorf("%s: RowDescription type OID %d, want %d (%s)", sql, fd.DataTypeOID, tc.oid, tc.sqlType)
	}
	if fd.Format != format {
		t.Errorf("%s: RowDescription format %d, want %d", sql, fd.Format, format)
	}
	got := newOf(tc.want)
	if err := m.Scan(tc.oid, format, res.Rows[0][0], got.Interface()); err != nil {
		t.Fatalf("%s: decode %q in format %d: %v", sql, res.Rows[0][0], format, err)
	}
	if !tc.equal(got.Elem().Interface()) {
		t.Errorf("%s (format %d): got %s (raw %q), want %s", sql, format, show(got.Elem().Interface()), res.Rows[0][0], show(tc.want))
	}
}

// lineReader returns one line per Read, so that pgconn sends one CopyData
// message per row.
type lineReader struct{ lines []string }

func (r *lineReader) Read(p []byte) (int, error) {
	for len(r.lines) > 0 && r.lines[0] == "" {
		r.lines = r.lines[1:]
	}
	if len(r.lines) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.lines[0])
	r.lines[0] = r.lines[0][n:]
	return n, nil
}

// failingReader makes pgconn abort a COPY with CopyFail.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("client gave up") }
