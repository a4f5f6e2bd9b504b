package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// insertTxn runs one logged INSERT INTO t (v) in a transaction begun with
// begin on w and commits it.
func insertTxn(t *testing.T, w *Conn, begin func(context.Context) error, v int) Committed {
	t.Helper()
	ctx := context.Background()
	if err := begin(ctx); err != nil {
		t.Fatal(err)
	}
	const q = "INSERT INTO t (v) VALUES (?1)"
	exec(t, w, q, v)
	w.Log(q, []any{v})
	cm, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

// waitingWriter starts a goroutine that waits for the writer and returns
// a channel that delivers it, once the store counts the waiter.
func waitingWriter(t *testing.T, s *Store) <-chan *Conn {
	t.Helper()
	ch := make(chan *Conn, 1)
	before := s.writeWaiters.Load()
	go func() {
		w, err := s.Writer(context.Background())
		if err != nil {
			t.Error(err)
			close(ch)
			return
		}
		ch <- w
	}()
	for deadline := time.Now().Add(5 * time.Second); s.writeWaiters.Load() == before; {
		if time.Now().After(deadline) {
			t.Fatal("the waiting writer never queued")
		}
		time.Sleep(time.Millisecond)
	}
	return ch
}

// openBatch commits a first transaction while another session waits for
// the writer, so that it leaves its batch open, and returns that commit
// and the writer, now in the hands of the waiting session.
func openBatch(t *testing.T, s *Store) (Committed, *Conn) {
	t.Helper()
	a, err := s.Writer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	next := waitingWriter(t, s)
	cm := insertTxn(t, a, a.BeginBatched, 1)
	if cm.batch == nil {
		t.Fatal("with a session waiting for the writer, the commit did not leave its batch open")
	}
	s.Release(a)
	return cm, <-next
}

func batchStore(t *testing.T) *Store {
	t.Helper()
	s := openDir(t, t.TempDir())
	s.batchAge = time.Hour              // the tests decide when a batch ends
	t.Cleanup(func() { _ = s.Close() }) // checkReplayMatches may have closed it
	commit(t, s, Statement{SQL: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"})
	if s.openBatch.Load() != nil {
		t.Fatal("Publish left an acknowledged batch open")
	}
	return s
}

func TestBatchTakesTheNextTransaction(t *testing.T) {
	s := batchStore(t)
	ctx := context.Background()
	cmA, b := openBatch(t, s)
	if got := count(t, s, "t"); got != 0 {
		t.Fatalf("readers see %d rows of a batch that is not committed", got)
	}
	cmB := insertTxn(t, b, b.BeginBatched, 2)
	if cmB.batch != cmA.batch {
		t.Fatal("the second transaction did not join the open batch")
	}
	s.Release(b)

	if err := s.WaitCommitted(ctx, cmA, true); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitCommitted(ctx, cmB, true); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cmA.batch.done:
		t.Fatal("the batch was committed before anybody read")
	default:
	}
	// Acknowledged, so the next read publishes it.
	if cmA.batch.n != 2 {
		t.Fatalf("batch of %d transactions, want 2", cmA.batch.n)
	}
	if got := count(t, s, "t"); got != 2 {
		t.Fatalf("%d rows after the batch committed, want 2", got)
	}
	if got := s.AppliedLSN(); got != cmB.LSN {
		t.Fatalf("applied LSN %s, want the last member's %s", got, cmB.LSN)
	}
	if cmA.LSN >= cmB.LSN {
		t.Fatalf("records out of order: %s then %s", cmA.LSN, cmB.LSN)
	}
	checkReplayMatches(t, s)
}

func TestBatchMemberRollsBackAlone(t *testing.T) {
	s := batchStore(t)
	ctx := context.Background()
	cmA, b := openBatch(t, s)
	if err := b.BeginBatched(ctx); err != nil {
		t.Fatal(err)
	}
	exec(t, b, "INSERT INTO t (v) VALUES (2)")
	b.Log("INSERT INTO t (v) VALUES (2)", nil)
	// A failing statement, as a session's would be, then the rollback.
	if _, err := b.Exec(ctx, "INSERT INTO t (id, v) VALUES (1, 3)"); pgerr.CodeOf(err) != pgerr.UniqueViolation {
		t.Fatalf("duplicate key: got %v", err)
	}
	if err := b.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s.Release(b)

	if err := s.WaitCommitted(ctx, cmA, true); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "t"); got != 1 {
		t.Fatalf("%d rows, want the first member's only", got)
	}
	checkReplayMatches(t, s)
}

// SQLite rolls back the whole transaction when a writing statement is
// interrupted: the batch's members must survive it.
func TestBatchSurvivesInterruptedMember(t *testing.T) {
	s := batchStore(t)
	ctx := context.Background()
	cmA, b := openBatch(t, s)
	if err := b.BeginBatched(ctx); err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err := b.Exec(tctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000)
		INSERT INTO t (v) SELECT i FROM n`)
	cancel()
	if err == nil {
		t.Fatal("the long INSERT was not interrupted")
	}
	if err := b.Rollback(ctx); err != nil {
		t.Fatalf("rollback of the interrupted member: %v", err)
	}
	// The writer goes on with the batch: another member joins it.
	cmC := insertTxn(t, b, b.BeginBatched, 3)
	s.Release(b)

	for _, cm := range []Committed{cmA, cmC} {
		if err := s.WaitCommitted(ctx, cm, true); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, s, "t"); got != 2 {
		t.Fatalf("%d rows, want the two committed members'", got)
	}
	checkReplayMatches(t, s)
}

func TestBeginCommitsTheOpenBatch(t *testing.T) {
	s := batchStore(t)
	ctx := context.Background()
	cmA, b := openBatch(t, s)
	if err := b.Begin(ctx); err != nil { // a transaction that may wait for its client
		t.Fatal(err)
	}
	select {
	case <-cmA.batch.done:
	default:
		t.Fatal("Begin left the batch open")
	}
	if err := s.WaitCommitted(ctx, cmA, true); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "t"); got != 1 {
		t.Fatalf("readers see %d rows while the next transaction runs, want 1", got)
	}
	if err := b.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s.Release(b)
}

func TestSchemaChangeCommitsTheBatch(t *testing.T) {
	s := batchStore(t)
	ctx := context.Background()
	cmA, b := openBatch(t, s)
	if err := b.BeginBatched(ctx); err != nil {
		t.Fatal(err)
	}
	const ddl = "CREATE TABLE u (x INTEGER)"
	exec(t, b, ddl)
	b.SchemaChanged()
	b.Log(ddl, nil)
	after := waitingWriter(t, s) // somebody waits, yet DDL commits the batch
	cmB, err := b.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cmB.batch != nil {
		t.Fatal("a schema change left the batch open")
	}
	s.Release(b)
	s.Release(<-after)
	if err := s.WaitCommitted(ctx, cmA, true); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "u"); got != 0 {
		t.Fatalf("table u: %d rows", got)
	}
}

// Many writers at once: every acknowledged commit is there once, and the
// WAL replays to the same content.
func TestConcurrentBatchedCommits(t *testing.T) {
	s := batchStore(t)
	ctx := context.Background()
	const writers, each = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				v := g*each + i
				w, err := s.Writer(ctx)
				if err != nil {
					errs <- err
					return
				}
				cm, err := func() (Committed, error) {
					if err := w.BeginBatched(ctx); err != nil {
						return Committed{}, err
					}
					const q = "INSERT INTO t (v) VALUES (?1)"
					if _, err := w.Exec(ctx, q, v); err != nil {
						return Committed{}, err
					}
					w.Log(q, []any{v})
					if v%10 == 0 { // every tenth rolls back
						return Committed{}, w.Rollback(ctx)
					}
					return w.Commit(ctx)
				}()
				s.Release(w)
				if err == nil {
					err = s.WaitCommitted(ctx, cm, v%3 != 0) // some as synchronous_commit = off
				}
				if err != nil {
					errs <- fmt.Errorf("value %d: %w", v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := int64(writers * each * 9 / 10)
	if got := count(t, s, "t"); got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	checkReplayMatches(t, s)
}

// checkReplayMatches closes s and compares the checksum of its database
// with that of a fresh replay of its WAL.
func checkReplayMatches(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	dir := s.opts.Dir
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Checksum(ctx, filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	replayed := filepath.Join(t.TempDir(), "replayed.sqlite")
	if _, err := ReplayWAL(ctx, filepath.Join(dir, "wal"), replayed); err != nil {
		t.Fatal(err)
	}
	want, err := Checksum(ctx, replayed)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("database %v, replayed WAL %v", got, want)
	}
}

// A read waits for the batch holding an acknowledged commit, but not for
// a long statement of the next member: the statement gives way (yield.go),
// runs again on its own, and does the same. Both ways a statement starts:
// Exec, and Query for a DML statement with RETURNING (all its work is in
// its first step).
func TestLongStatementGivesWayToARead(t *testing.T) {
	// Long enough to run well past the read's start (about 0.2 and 0.5 s).
	n := int64(100000)
	if raceEnabled {
		n /= 10
	}
	steps := 4 * n
	tests := []struct {
		name  string
		sql   string
		run   func(c *Conn, q string) error
		added int64
	}{
		{"exec", fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			INSERT INTO t (v) SELECT i FROM n`, n), func(c *Conn, q string) error {
			_, err := c.Exec(context.Background(), q)
			return err
		}, n},
		{"query with RETURNING", fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			INSERT INTO t (v) SELECT max(i) FROM n RETURNING v`, steps), func(c *Conn, q string) error {
			rows, err := c.Query(context.Background(), q)
			if err != nil {
				return err
			}
			if err := rows.Buffer(); err != nil {
				return err
			}
			if row, err := rows.Next(); err != nil || row == nil || row[0] != steps {
				return fmt.Errorf("RETURNING gave %v, %v", row, err)
			}
			return nil
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := batchStore(t)
			ctx := context.Background()
			cmA, b := openBatch(t, s)
			if err := s.WaitCommitted(ctx, cmA, true); err != nil { // acknowledged
				t.Fatal(err)
			}
			if err := b.BeginBatched(ctx); err != nil {
				t.Fatal(err)
			}
			// The member's first statement, which must survive the give-way.
			const first = "INSERT INTO t (v) VALUES (-1)"
			exec(t, b, first)
			b.Log(first, nil)
			runErr := make(chan error, 1)
			go func() { runErr <- tt.run(b, tt.sql) }()
			time.Sleep(20 * time.Millisecond) // the long statement runs
			read := make(chan int64, 1)
			go func() { read <- count(t, s, "t") }()
			select {
			case got := <-read:
				if got != 1 {
					t.Errorf("the read saw %d rows, want the acknowledged commit's 1", got)
				}
			case <-runErr:
				t.Fatal("the read waited for the long statement to end")
			}
			if err := <-runErr; err != nil {
				t.Fatalf("the statement that gave way failed: %v", err)
			}
			b.Log(tt.sql, nil)
			cmB, err := b.Commit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			s.Release(b)
			if err := s.WaitCommitted(ctx, cmB, true); err != nil {
				t.Fatal(err)
			}
			if got, want := count(t, s, "t"), 2+tt.added; got != want {
				t.Fatalf("%d rows after the member committed, want %d", got, want)
			}
			checkReplayMatches(t, s)
		})
	}
}
