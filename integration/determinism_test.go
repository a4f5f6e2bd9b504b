package integration

import (
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestReplayIsDeterministic runs a workload full of non-deterministic
// inputs from concurrent sessions, then replays the node's WAL into an
// empty database: the checksums must be equal (invariant 4). Every value
// that differs between runs (times, random numbers, uuids, generated
// keys) is pinned in the WAL record or follows from the order of replay.
func TestReplayIsDeterministic(t *testing.T) {
	n := startNode(t)
	ctx := testCtx(t)
	setup := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
	for _, q := range []string{
		`CREATE TABLE events (id serial PRIMARY KEY, at timestamptz DEFAULT now(), ts timestamptz DEFAULT current_timestamp,
			r float8, u uuid, note text)`,
		`CREATE TABLE counters (k text PRIMARY KEY, n bigint NOT NULL DEFAULT 0, touched timestamptz)`,
		`CREATE TABLE big (id bigserial PRIMARY KEY, v int, tag varchar(10))`,
		`CREATE SEQUENCE tickets START 100`,
		`CREATE TABLE issued (ticket bigint PRIMARY KEY DEFAULT nextval('tickets'), who int)`,
	} {
		mustExec(t, setup, q)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, n.dsn())
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close(ctx)
			for i := range 25 {
				stmts := []string{
					fmt.Sprintf(`INSERT INTO events (r, u, note) VALUES (random(), gen_random_uuid(), 'w%d-%d')`, w, i),
					`INSERT INTO counters (k, n, touched) VALUES ('c' || (random() * 5)::int, 1, clock_timestamp())
						ON CONFLICT (k) DO UPDATE SET n = counters.n + 1, touched = now()`,
					fmt.Sprintf(`INSERT INTO big (v, tag) SELECT g * %d, 'g' || g FROM generate_series(1, 20) AS g`, w+1),
					fmt.Sprintf(`INSERT INTO issued (who) VALUES (%d)`, w),
					`UPDATE events SET r = random(), note = note || '+' WHERE id % 7 = 3`,
				}
				for _, q := range stmts {
					if _, err := conn.Exec(ctx, q); err != nil {
						t.Errorf("%s: %v", q, err)
						return
					}
				}
				tx, err := conn.Begin(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				for _, q := range []string{
					`INSERT INTO events (note, u) VALUES ('in tx', gen_random_uuid())`,
					`SAVEPOINT s1`,
					`DELETE FROM big WHERE v % 3 = 0`,
					`INSERT INTO events (note) VALUES ('rolled back')`,
					`ROLLBACK TO SAVEPOINT s1`,
					`UPDATE counters SET touched = statement_timestamp() WHERE k = 'c1'`,
					`DELETE FROM big WHERE id IN (SELECT id FROM big ORDER BY id LIMIT 3)`,
				} {
					if _, err := tx.Exec(ctx, q); err != nil {
						t.Errorf("%s: %v", q, err)
						tx.Rollback(ctx)
						return
					}
				}
				if err := tx.Commit(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	mustExec(t, setup, `ALTER TABLE events ADD COLUMN extra int DEFAULT 7`)
	mustExec(t, setup, `UPDATE events SET extra = (random() * 100)::int WHERE id < 10`)
	setup.Close(ctx)
	if t.Failed() {
		return
	}
	checkReplayMatches(t, n)
}
