package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgwire/pgerr"
)

func openTest(t *testing.T, opts Options) *Store {
	t.Helper()
	opts.Dir = t.TempDir()
	opts.Logger = zerolog.New(zerolog.NewTestWriter(t))
	s, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func exec(t *testing.T, c *Conn, q string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestWriterIsExclusiveAndBounded(t *testing.T) {
	s := openTest(t, Options{WriteWait: 50 * time.Millisecond})
	ctx := context.Background()
	w, err := s.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Writer(ctx)
	if got := pgerr.CodeOf(err); got != pgerr.LockNotAvailable {
		t.Fatalf("second Writer: got %v (%s), want 55P03", err, got)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 2*time.Second {
		t.Fatalf("second Writer waited %v, want about 50ms", d)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Writer(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Writer with cancelled context: got %v", err)
	}
	s.Release(w)
	w2, err := s.Writer(ctx)
	if err != nil {
		t.Fatalf("Writer after Release: %v", err)
	}
	s.Release(w2)
}

func TestReadersDoNotWaitForWriter(t *testing.T) {
	s := openTest(t, Options{Readers: 2})
	ctx := context.Background()
	w, _ := s.Writer(ctx)
	exec(t, w, "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
	exec(t, w, "INSERT INTO t VALUES (1, 'committed')")
	if err := w.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	exec(t, w, "INSERT INTO t VALUES (2, 'uncommitted')")

	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Reader(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Release(r)
			rows, err := r.Query(ctx, "SELECT count(*) FROM t")
			if err != nil {
				t.Error(err)
				return
			}
			defer rows.Close()
			row, err := rows.Next()
			if err != nil || row == nil {
				t.Errorf("next: %v", err)
				return
			}
			if row[0] != int64(1) {
				t.Errorf("reader saw %v rows, want 1 (the uncommitted row must be invisible)", row[0])
			}
		}()
	}
	wg.Wait()
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	s.Release(w)
}

func TestReaderCannotWrite(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	w, _ := s.Writer(ctx)
	exec(t, w, "CREATE TABLE t (a INTEGER)")
	s.Release(w)
	r, err := s.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release(r)
	_, err = r.Exec(ctx, "INSERT INTO t VALUES (1)")
	if got := pgerr.CodeOf(err); got != pgerr.ReadOnlySQLTransaction {
		t.Fatalf("write on a reader: got %v (%s), want 25006", err, got)
	}
}

func TestMapError(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	w, _ := s.Writer(ctx)
	defer s.Release(w)
	exec(t, w, `CREATE TABLE p (id INTEGER PRIMARY KEY)`)
	exec(t, w, `CREATE TABLE t (id integer PRIMARY KEY, name text NOT NULL UNIQUE, qty integer CHECK (qty > 0), p integer REFERENCES p (id))`)
	exec(t, w, `INSERT INTO p VALUES (1)`)
	exec(t, w, `INSERT INTO t VALUES (1, 'a', 1, 1)`)
	tests := []struct {
		name string
		sql  string
		code pgerr.Code
	}{
		{"duplicate primary key", `INSERT INTO t VALUES (1, 'b', 1, 1)`, pgerr.UniqueViolation},
		{"duplicate unique", `INSERT INTO t VALUES (2, 'a', 1, 1)`, pgerr.UniqueViolation},
		{"not null", `INSERT INTO t VALUES (3, NULL, 1, 1)`, pgerr.NotNullViolation},
		{"check", `INSERT INTO t VALUES (4, 'd', 0, 1)`, pgerr.CheckViolation},
		{"foreign key", `INSERT INTO t VALUES (5, 'e', 1, 9)`, pgerr.ForeignKeyViolation},
		{"no table", `SELECT * FROM nosuch`, pgerr.UndefinedTable},
		{"no column", `SELECT nosuch FROM t`, pgerr.UndefinedColumn},
		{"syntax", `SELEC 1`, pgerr.SyntaxError},
		{"table exists", `CREATE TABLE t (a int)`, pgerr.DuplicateTable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.Exec(ctx, tc.sql)
			if got := pgerr.CodeOf(err); got != tc.code {
				t.Fatalf("got %v (%s), want %s", err, got, tc.code)
			}
		})
	}
	t.Run("raised by a function", func(t *testing.T) {
		colon := pgerr.New(pgerr.InvalidTextRepresentation, `invalid input syntax for type integer: "abc"`).Error()
		for _, text := range []string{colon, "SQL logic error: " + colon + " (1)"} {
			e := pgerr.As(MapError(errors.New(text)))
			if e == nil || e.Code != pgerr.InvalidTextRepresentation || e.Message != `invalid input syntax for type integer: "abc"` {
				t.Fatalf("%q: got %#v", text, e)
			}
		}
		for _, text := range []string{
			"division by zero (SQLSTATE 22012)",
			"SQL logic error: division by zero (SQLSTATE 22012) (1)",
		} {
			e := pgerr.As(MapError(errors.New(text)))
			if e == nil || e.Code != pgerr.DivisionByZero || e.Message != "division by zero" {
				t.Fatalf("%q: got %#v", text, e)
			}
		}
		e := pgerr.As(MapError(errors.New(pgerr.New(pgerr.StringDataRightTruncation, "value too long for type character varying(3)").Error())))
		if e == nil || e.Code != pgerr.StringDataRightTruncation || e.Message != "value too long for type character varying(3)" {
			t.Fatalf("got %#v", e)
		}
	})
}

func TestSchema(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	w, _ := s.Writer(ctx)
	exec(t, w, `CREATE TABLE acc (aid integer NOT NULL, bid integer, filler character(84), PRIMARY KEY (aid))`)
	exec(t, w, `CREATE INDEX acc_bid ON acc (bid)`)
	s.Release(w)
	s.InvalidateSchema()
	sc, err := s.Schema(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab := sc.Tables["acc"]
	if tab == nil || len(tab.Columns) != 3 {
		t.Fatalf("table acc: %+v", tab)
	}
	if c := tab.Columns[2]; c.Name != "filler" || c.Type != "character(84)" {
		t.Fatalf("column 3: %+v", c)
	}
	if c := tab.Columns[0]; c.PrimaryKey != 1 || !c.NotNull {
		t.Fatalf("column aid: %+v", c)
	}
	if len(tab.Indexes) != 2 || !tab.Indexes[0].Primary && !tab.Indexes[1].Primary {
		t.Fatalf("indexes: %+v", tab.Indexes)
	}
	if tab.OID < FirstUserOID {
		t.Fatalf("oid %d below %d", tab.OID, FirstUserOID)
	}
	again, _ := s.Schema(ctx, nil)
	if again != sc {
		t.Fatal("unchanged schema was loaded again")
	}
}
