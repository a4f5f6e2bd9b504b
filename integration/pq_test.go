package integration

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"
)

// openPQ opens a database/sql handle through lib/pq; closed when the test
// ends.
func openPQ(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatalf("sql.Open(postgres, %q): %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func pqExec(t *testing.T, db interface {
	Exec(string, ...any) (sql.Result, error)
}, query string, args ...any) sql.Result {
	t.Helper()
	res, err := db.Exec(query, args...)
	if err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	return res
}

func pqCount(t *testing.T, db *sql.DB, table string) int64 {
	t.Helper()
	var c int64
	if err := db.QueryRowContext(testCtx(t), "SELECT count(*) FROM "+table).Scan(&c); err != nil {
		t.Fatalf("SELECT count(*) FROM %s: %v", table, err)
	}
	return c
}

// TestLibPQ drives a node with lib/pq through database/sql, sslmode=disable.
func TestLibPQ(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	db := openPQ(t, n.dsn())

	t.Run("ping", func(t *testing.T) {
		if err := db.PingContext(testCtx(t)); err != nil { // sends ";"
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("exec_query", func(t *testing.T) {
		ctx := testCtx(t)
		pqExec(t, db, "CREATE TABLE pq_t (id int4 PRIMARY KEY, name text, score float8, data bytea, at timestamptz, ok bool, amount numeric, small int2, big int8)")
		at := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
		data := []byte{0, 1, '\\', 'x', 0xff}
		res := pqExec(t, db, "INSERT INTO pq_t (id, name, score, data, at, ok, amount, small, big) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			1, "tab\there 'q' ü", 2.5, data, at, true, "12345.6789", int16(-7), int64(1)<<40)
		if ra, err := res.RowsAffected(); err != nil || ra != 1 {
			t.Errorf("INSERT RowsAffected: got (%d, %v), want (1, nil)", ra, err)
		}
		pqExec(t, db, "INSERT INTO pq_t (id) VALUES ($1)", 2)
		var (
			name   string
			score  float64
			gotB   []byte
			gotAt  time.Time
			ok     bool
			amount string
			small  int16
			big    int64
		)
		err := db.QueryRowContext(ctx, "SELECT name, score, data, at, ok, amount, small, big FROM pq_t WHERE id = $1", 1).
			Scan(&name, &score, &gotB, &gotAt, &ok, &amount, &small, &big)
		if err != nil {
			t.Fatalf("select row 1: %v", err)
		}
		if name != "tab\there 'q' ü" || score != 2.5 || !bytes.Equal(gotB, data) || !gotAt.Equal(at) || !ok || amount != "12345.6789" || small != -7 || big != 1<<40 {
			t.Errorf("row 1: got (%q, %v, %q, %v, %v, %q, %d, %d), want (%q, 2.5, %q, %v, true, \"12345.6789\", -7, %d)",
				name, score, gotB, gotAt, ok, amount, small, big, "tab\there 'q' ü", data, at, int64(1)<<40)
		}
		var nullName sql.NullString
		var nullData []byte
		if err := db.QueryRowContext(ctx, "SELECT name, data FROM pq_t WHERE id = $1", 2).Scan(&nullName, &nullData); err != nil || nullName.Valid || nullData != nil {
			t.Errorf("row 2 NULLs: got (%+v, %q, %v), want (NULL, nil, nil)", nullName, nullData, err)
		}
		rows, err := db.QueryContext(ctx, "SELECT id FROM pq_t WHERE id >= $1 ORDER BY id", 1)
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		var ids []int
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				t.Fatalf("scan: %v", err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil || fmt.Sprint(ids) != "[1 2]" {
			t.Errorf("Query ids: got (%v, %v), want ([1 2], nil)", ids, err)
		}
		res = pqExec(t, db, "UPDATE pq_t SET score = score + $1 WHERE id = $2", 1.0, 1)
		if ra, _ := res.RowsAffected(); ra != 1 {
			t.Errorf("UPDATE RowsAffected %d, want 1", ra)
		}
	})

	t.Run("transactions", func(t *testing.T) {
		ctx := testCtx(t)
		pqExec(t, db, "CREATE TABLE pq_tx (id int4 PRIMARY KEY)")
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		pqExec(t, tx, "INSERT INTO pq_tx (id) VALUES ($1)", 1)
		if err := tx.Commit(); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		tx, err = db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		pqExec(t, tx, "INSERT INTO pq_tx (id) VALUES ($1)", 2)
		if err := tx.Rollback(); err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		if c := pqCount(t, db, "pq_tx"); c != 1 {
			t.Errorf("rows after commit and rollback: %d, want 1", c)
		}
		// BEGIN ISOLATION LEVEL SERIALIZABLE and BEGIN READ ONLY.
		tx, err = db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
		if err != nil {
			t.Fatalf("BeginTx serializable: %v", err)
		}
		pqExec(t, tx, "INSERT INTO pq_tx (id) VALUES ($1)", 3)
		if err := tx.Commit(); err != nil {
			t.Fatalf("Commit serializable: %v", err)
		}
		tx, err = db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatalf("BeginTx read only: %v", err)
		}
		_, err = tx.Exec("INSERT INTO pq_tx (id) VALUES ($1)", 4)
		wantSQLState(t, "INSERT in a lib/pq READ ONLY transaction", err, "25006")
		_ = tx.Rollback()
		// An error inside a transaction aborts it until ROLLBACK.
		tx, err = db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		_, err = tx.Exec("INSERT INTO pq_tx (id) VALUES ($1)", 1)
		wantSQLState(t, "duplicate INSERT in a transaction", err, "23505")
		_, err = tx.Exec("SELECT 1")
		wantSQLState(t, "SELECT 1 after an error in the transaction", err, "25P02")
		if err := tx.Rollback(); err != nil {
			t.Fatalf("Rollback of the failed transaction: %v", err)
		}
		if c := pqCount(t, db, "pq_tx"); c != 2 {
			t.Errorf("rows after all transactions: %d, want 2", c)
		}
	})

	t.Run("prepared_statement", func(t *testing.T) {
		pqExec(t, db, "CREATE TABLE pq_prep (id int4 PRIMARY KEY, name text)")
		stmt, err := db.PrepareContext(testCtx(t), "INSERT INTO pq_prep (id, name) VALUES ($1, $2)")
		if err != nil {
			t.Fatalf("Prepare: %v", err)
		}
		for i := 1; i <= 10; i++ {
			if _, err := stmt.Exec(i, fmt.Sprintf("p%d", i)); err != nil {
				t.Fatalf("prepared insert %d: %v", i, err)
			}
		}
		if err := stmt.Close(); err != nil {
			t.Errorf("Stmt.Close: %v", err)
		}
		sel, err := db.PrepareContext(testCtx(t), "SELECT name FROM pq_prep WHERE id = $1")
		if err != nil {
			t.Fatalf("Prepare select: %v", err)
		}
		defer sel.Close()
		for _, id := range []int{3, 7} {
			var name string
			if err := sel.QueryRow(id).Scan(&name); err != nil || name != fmt.Sprintf("p%d", id) {
				t.Errorf("prepared select %d: got (%q, %v), want (%q, nil)", id, name, err, fmt.Sprintf("p%d", id))
			}
		}
		if c := pqCount(t, db, "pq_prep"); c != 10 {
			t.Errorf("rows inserted through the prepared statement: %d, want 10", c)
		}
	})

	t.Run("copy_in", func(t *testing.T) {
		pqExec(t, db, "CREATE TABLE pq_copy (id int4 PRIMARY KEY, name text, data bytea)")
		tx, err := db.BeginTx(testCtx(t), nil)
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		stmt, err := tx.Prepare(pq.CopyIn("pq_copy", "id", "name", "data"))
		if err != nil {
			t.Fatalf("prepare %s: %v", pq.CopyIn("pq_copy", "id", "name", "data"), err)
		}
		const total = 5000
		for i := 1; i <= total; i++ {
			var name any = fmt.Sprintf("name %d\ttab\\back\nnl", i)
			if i%100 == 0 {
				name = nil
			}
			if _, err := stmt.Exec(i, name, []byte{byte(i), 0, '\\', '\t'}); err != nil {
				t.Fatalf("CopyIn row %d: %v", i, err)
			}
		}
		if _, err := stmt.Exec(); err != nil {
			t.Fatalf("CopyIn flush: %v", err)
		}
		if err := stmt.Close(); err != nil {
			t.Fatalf("CopyIn close: %v", err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatalf("Commit after CopyIn: %v", err)
		}
		var count, names int64
		if err := db.QueryRowContext(testCtx(t), "SELECT count(*), count(name) FROM pq_copy").Scan(&count, &names); err != nil {
			t.Fatalf("count: %v", err)
		}
		if count != total || names != total-total/100 {
			t.Errorf("copied rows: count %d, non-null names %d; want %d, %d", count, names, total, total-total/100)
		}
		var name string
		var data []byte
		if err := db.QueryRowContext(testCtx(t), "SELECT name, data FROM pq_copy WHERE id = $1", 42).Scan(&name, &data); err != nil {
			t.Fatalf("select row 42: %v", err)
		}
		if want := []byte{42, 0, '\\', '\t'}; name != "name 42\ttab\\back\nnl" || !bytes.Equal(data, want) {
			t.Errorf("row 42: got (%q, %q), want (%q, %q)", name, data, "name 42\ttab\\back\nnl", want)
		}
	})

	t.Run("unique_violation", func(t *testing.T) {
		pqExec(t, db, "CREATE TABLE pq_uniq (id int4 PRIMARY KEY)")
		pqExec(t, db, "INSERT INTO pq_uniq (id) VALUES ($1)", 1)
		_, err := db.ExecContext(testCtx(t), "INSERT INTO pq_uniq (id) VALUES ($1)", 1)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) {
			t.Fatalf("duplicate insert: got %T %v, want *pq.Error", err, err)
		}
		if string(pqErr.Code) != "23505" || pqErr.Severity != "ERROR" || pqErr.Message == "" {
			t.Errorf("duplicate insert: got *pq.Error{Code %q, Severity %q, Message %q}, want Code 23505, Severity ERROR and a message",
				pqErr.Code, pqErr.Severity, pqErr.Message)
		}
		if err := db.PingContext(testCtx(t)); err != nil {
			t.Errorf("Ping after the error: %v", err)
		}
	})
}
