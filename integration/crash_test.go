package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestKillNineLosesNoAcknowledgedCommit kills the node with SIGKILL at
// random moments while clients commit (20 times), restarts it on the same
// data each time, and checks that every commit the node acknowledged is
// there, no transaction is applied in part, and the database equals a
// fresh replay of the WAL: invariants 2 (durable before acknowledged), 4
// (deterministic replay) and 7 (automatic recovery).
func TestKillNineLosesNoAcknowledgedCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	n := startNodeIn(t, dir)
	w := newCrashWorkload(t, n)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for round := range 20 {
		w.run(n, func() {
			time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
			n.kill()
		})
		n = startNodeIn(t, dir)
		w.check(n, fmt.Sprintf("round %d", round))
		if round%5 == 4 {
			n = checkReplayMatches(t, n)
		}
	}
}

// TestFailpointsLoseNoAcknowledgedCommit kills the node at each named
// failpoint of the commit path, and checks the same as the test above.
func TestFailpointsLoseNoAcknowledgedCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	for _, fp := range []string{"commit-before-append", "commit-after-append", "commit-after-sqlite", "commit-after-fsync"} {
		t.Run(fp, func(t *testing.T) {
			dir := t.TempDir()
			n := startNodeIn(t, dir)
			w := newCrashWorkload(t, n)
			n.stop(stopTimeout)
			for i, at := range []int{3, 40} {
				t.Setenv("REPLISQL_FAILPOINT", fmt.Sprintf("%s@%d", fp, at))
				n = startNodeIn(t, dir)
				os.Unsetenv("REPLISQL_FAILPOINT")
				w.run(n, func() {
					select {
					case <-n.done:
					case <-time.After(20 * time.Second):
						t.Errorf("the failpoint %s@%d did not fire", fp, at)
						n.kill()
					}
				})
				n.stopped = true
				n = startNodeIn(t, dir)
				w.check(n, fmt.Sprintf("%s@%d", fp, at))
				if i == 1 {
					n = checkReplayMatches(t, n)
				}
				n.stop(stopTimeout)
			}
		})
	}
}

// crashWorkload is concurrent writers that remember what was acknowledged:
// even ids are single-row inserts, odd ids transfers between two accounts.
type crashWorkload struct {
	t     *testing.T
	mu    sync.Mutex // guards the fields below
	acked map[int64]bool
	next  int64
}

func newCrashWorkload(t *testing.T, n *node) *crashWorkload {
	t.Helper()
	ctx := testCtx(t)
	setup := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
	defer setup.Close(ctx)
	mustExec(t, setup, `CREATE TABLE acked (id bigint PRIMARY KEY, writer int, at timestamptz DEFAULT now(), pad text)`)
	mustExec(t, setup, `CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)`)
	mustExec(t, setup, `INSERT INTO accounts VALUES (1, 0), (2, 0)`)
	return &crashWorkload{t: t, acked: map[int64]bool{}}
}

// run starts four writers on n, calls kill (which must end the node), and
// waits for the writers to notice.
func (w *crashWorkload) run(n *node, kill func()) {
	ctx := testCtx(w.t)
	var wg sync.WaitGroup
	for writer := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, n.dsn())
			if err != nil {
				return // the node may already be gone
			}
			defer conn.Close(context.Background())
			for range 20000 {
				w.mu.Lock()
				w.next++
				id := w.next
				w.mu.Unlock()
				if id%2 == 0 {
					_, err = conn.Exec(ctx, `INSERT INTO acked (id, writer, pad) VALUES ($1, $2, repeat('x', 200))`, id, writer)
				} else {
					err = transfer(ctx, conn, id)
				}
				if err != nil {
					return // the node died under us: not acknowledged
				}
				w.mu.Lock()
				w.acked[id] = true
				w.mu.Unlock()
			}
		}()
	}
	kill()
	<-n.done
	wg.Wait()
}

// check verifies on a restarted node that every acknowledged commit is
// present and the transfers are whole.
func (w *crashWorkload) check(n *node, what string) {
	t := w.t
	t.Helper()
	ctx := testCtx(t)
	conn := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id FROM acked`)
	if err != nil {
		t.Fatal(err)
	}
	present := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		present[id] = true
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	missing, transfers := 0, int64(0)
	for id := range w.acked {
		if id%2 == 0 && !present[id] {
			missing++
		}
		if id%2 == 1 {
			transfers += id
		}
	}
	if missing > 0 {
		t.Fatalf("%s: %d acknowledged inserts lost (of %d acknowledged commits)", what, missing, len(w.acked))
	}
	var sum, moved int64
	if err := conn.QueryRow(ctx, `SELECT sum(balance), max(balance) FROM accounts`).Scan(&sum, &moved); err != nil {
		t.Fatal(err)
	}
	if sum != 0 {
		t.Fatalf("%s: balances sum to %d, want 0 (a transaction was applied in part)", what, sum)
	}
	if moved < transfers {
		t.Fatalf("%s: account 2 holds %d, but acknowledged transfers add up to %d", what, moved, transfers)
	}
	t.Logf("%s: %d acknowledged commits, all present", what, len(w.acked))
}

// checkReplayMatches stops n, replays its whole WAL into a new database and
// compares the checksums, then starts n again and returns it.
func checkReplayMatches(t *testing.T, n *node) *node {
	t.Helper()
	if err, _ := n.stop(stopTimeout); err != nil {
		t.Fatalf("stop: %v", err)
	}
	replayed := filepath.Join(t.TempDir(), "replayed.sqlite")
	run := func(args ...string) string {
		out, err := exec.Command(n.bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("replisql %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("wal", "replay", "--data-dir", n.dataDir, "--out", replayed)
	got := run("checksum", "--data-dir", n.dataDir)
	want := run("checksum", "--db", replayed)
	if got != want {
		t.Fatalf("the node's database differs from a fresh replay of its WAL:\nnode:\n%s\nreplay:\n%s", got, want)
	}
	return startNodeIn(t, n.dataDir)
}

// transfer moves id units from account 1 to account 2 in one transaction.
func transfer(ctx context.Context, conn *pgx.Conn, id int64) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `UPDATE accounts SET balance = balance - $1 WHERE id = 1`, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE accounts SET balance = balance + $1 WHERE id = 2`, id); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// kill sends SIGKILL to the node and waits for it to die.
func (n *node) kill() {
	n.stopped = true
	_ = n.cmd.Process.Kill()
	<-n.done
}
