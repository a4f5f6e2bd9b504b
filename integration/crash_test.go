package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestKillNineLosesNoAcknowledgedCommit kills the node with SIGKILL while
// clients commit, restarts it on the same data, and checks that every
// commit the node acknowledged is there and every transaction is whole:
// invariant 2 (durable before acknowledged) and 7 (automatic recovery).
func TestKillNineLosesNoAcknowledgedCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	n := startNodeIn(t, dir)
	ctx := testCtx(t)
	setup := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
	mustExec(t, setup, `CREATE TABLE acked (id bigint PRIMARY KEY, writer int, pad text)`)
	mustExec(t, setup, `CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)`)
	mustExec(t, setup, `INSERT INTO accounts VALUES (1, 0), (2, 0)`)
	setup.Close(ctx)

	acked := map[int64]bool{}
	var next int64
	for round := range 3 {
		var mu sync.Mutex
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := pgx.Connect(ctx, n.dsn())
				if err != nil {
					t.Errorf("writer %d: connect: %v", w, err)
					return
				}
				defer conn.Close(context.Background())
				for i := 0; i < 5000; i++ {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					next++
					id := next
					mu.Unlock()
					var err error
					if id%2 == 0 {
						_, err = conn.Exec(ctx, `INSERT INTO acked VALUES ($1, $2, repeat('x', 200))`, id, w)
					} else {
						err = transfer(ctx, conn, id)
					}
					if err != nil {
						return // the node died under us: not acknowledged
					}
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(300+200*round) * time.Millisecond)
		n.stopped = true
		if err := n.cmd.Process.Kill(); err != nil {
			t.Fatalf("kill: %v", err)
		}
		<-n.done
		close(stop)
		wg.Wait()
		if len(acked) == 0 {
			t.Fatalf("round %d: nothing was acknowledged before the kill", round)
		}

		n = startNodeIn(t, dir)
		check := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
		rows, err := check.Query(ctx, `SELECT id FROM acked`)
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
		missing := 0
		for id := range acked {
			if id%2 == 0 && !present[id] {
				missing++
			}
		}
		if missing > 0 {
			t.Fatalf("round %d: %d acknowledged inserts lost after kill -9 (of %d acknowledged)", round, missing, len(acked))
		}
		var sum, moved int64
		if err := check.QueryRow(ctx, `SELECT sum(balance), max(balance) FROM accounts`).Scan(&sum, &moved); err != nil {
			t.Fatal(err)
		}
		if sum != 0 {
			t.Fatalf("round %d: balances sum to %d after recovery, want 0 (a transaction was applied in part)", round, sum)
		}
		ackedTransfers := int64(0)
		for id := range acked {
			if id%2 == 1 {
				ackedTransfers += id
			}
		}
		if moved < ackedTransfers {
			t.Fatalf("round %d: account 2 holds %d, but acknowledged transfers add up to %d", round, moved, ackedTransfers)
		}
		t.Logf("round %d: %d commits acknowledged so far, all present", round, len(acked))
		check.Close(ctx)
	}
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
