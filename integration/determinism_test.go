package integration

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
		`CREATE TABLE big (id bigserial PRIMARY KEY, v int, tag varchar(10), stamped timestamptz, edits int NOT NULL DEFAULT 0)`,
		`CREATE SEQUENCE tickets START 100`,
		`CREATE TABLE issued (ticket bigint PRIMARY KEY DEFAULT nextval('tickets'), who int)`,
		// Triggers: an AFTER INSERT audit row (now() and NEW columns,
		// fired again on replay) and a BEFORE INSERT OR UPDATE trigger
		// that sets columns of the new row.
		`CREATE TABLE event_log (id serial PRIMARY KEY, event_id int, note text, at timestamptz DEFAULT now(), who text)`,
		`CREATE FUNCTION log_event() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			INSERT INTO event_log (event_id, note, who) VALUES (NEW.id, NEW.note, current_user);
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER events_log AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION log_event()`,
		`CREATE FUNCTION stamp_big() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			NEW.tag := upper(NEW.tag);
			NEW.stamped := now();
			IF TG_OP = 'UPDATE' THEN
				NEW.edits := OLD.edits + 1;
			END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER big_stamp BEFORE INSERT OR UPDATE ON big FOR EACH ROW EXECUTE FUNCTION stamp_big()`,
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
					fmt.Sprintf(`UPDATE big SET tag = lower(tag) WHERE v %% 5 = %d`, i%5),
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
	checkTriggerResults(t, setup)
	setup.Close(ctx)
	if t.Failed() {
		return
	}
	checkReplayMatches(t, n)
}

// checkTriggerResults checks what the workload's triggers did, with the
// values PostgreSQL gives.
func checkTriggerResults(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	for _, c := range []struct{ what, query string }{
		// One audit row per committed insert, with the inserting
		// transaction's now() and the row's id and note.
		{"events without their audit row", `SELECT count(*) FROM events e WHERE NOT EXISTS
			(SELECT 1 FROM event_log l WHERE l.event_id = e.id AND l.at = e.at AND l.who = current_user AND e.note LIKE l.note || '%')`},
		{"audit rows of rolled-back or missing inserts", `SELECT count(*) FROM event_log l WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = l.event_id)`},
		{"audit rows of 'rolled back'", `SELECT count(*) FROM event_log WHERE note = 'rolled back'`},
		// The BEFORE trigger upper-cased every tag and stamped the row.
		{"big rows the BEFORE trigger missed", `SELECT count(*) FROM big WHERE tag <> upper(tag) OR stamped IS NULL`},
		{"big rows stamped before their transaction", `SELECT count(*) FROM big WHERE stamped < (SELECT min(at) FROM events)`},
	} {
		var n int64
		if err := conn.QueryRow(testCtx(t), c.query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != 0 {
			t.Errorf("%s: %d", c.what, n)
		}
	}
	var logged, updated int64
	if err := conn.QueryRow(testCtx(t), `SELECT (SELECT count(*) FROM event_log), (SELECT count(*) FROM big WHERE edits > 0)`).Scan(&logged, &updated); err != nil {
		t.Fatal(err)
	}
	if logged < 200 || updated == 0 {
		t.Errorf("triggers barely ran: %d audit rows, %d updated big rows", logged, updated)
	}
}

// TestTriggersSurviveRestart: functions and triggers are part of the
// database (and of the WAL): after a restart they still fire, and DROP
// TRIGGER/FUNCTION still find them.
func TestTriggersSurviveRestart(t *testing.T) {
	n := startNode(t)
	conn := connectPGX(t, n, pgx.QueryExecModeSimpleProtocol)
	for _, q := range []string{
		`CREATE TABLE accounts (id serial PRIMARY KEY, owner text, balance int NOT NULL DEFAULT 0, changed timestamptz)`,
		`CREATE TABLE ledger (id serial PRIMARY KEY, account int, delta int, at timestamptz DEFAULT now())`,
		`CREATE FUNCTION track() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			IF NEW.balance < 0 THEN RAISE EXCEPTION 'balance of % would be %', NEW.owner, NEW.balance; END IF;
			NEW.changed := now();
			RETURN NEW; END $$`,
		`CREATE FUNCTION book() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			INSERT INTO ledger (account, delta) VALUES (NEW.id, NEW.balance - coalesce(OLD.balance, 0));
			RETURN NULL; END $$`,
		`CREATE TRIGGER a_track BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION track()`,
		`CREATE TRIGGER b_book AFTER INSERT OR UPDATE OF balance ON accounts FOR EACH ROW EXECUTE FUNCTION book()`,
		`INSERT INTO accounts (owner, balance) VALUES ('ann', 10)`,
	} {
		mustExec(t, conn, q)
	}
	conn.Close(testCtx(t))
	if err, _ := n.stop(stopTimeout); err != nil {
		t.Fatalf("stop: %v", err)
	}
	n = startNodeIn(t, n.dataDir)
	conn = connectPGX(t, n, pgx.QueryExecModeSimpleProtocol)
	mustExec(t, conn, `UPDATE accounts SET balance = balance + 5`)
	_, err := conn.Exec(testCtx(t), `UPDATE accounts SET balance = -1`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "P0001" || pe.Message != "balance of ann would be -1" {
		t.Fatalf("RAISE after restart: %v", err)
	}
	var ledger string
	var stamped bool
	if err := conn.QueryRow(testCtx(t), `SELECT (SELECT string_agg(delta::text, ',' ORDER BY id) FROM ledger),
		(SELECT changed IS NOT NULL FROM accounts)`).Scan(&ledger, &stamped); err != nil {
		t.Fatal(err)
	}
	if ledger != "10,5" || !stamped {
		t.Errorf("after restart: ledger %q, stamped %v; want 10,5 and true", ledger, stamped)
	}
	mustExec(t, conn, `DROP TRIGGER b_book ON accounts`)
	mustExec(t, conn, `DROP TRIGGER a_track ON accounts`)
	mustExec(t, conn, `DROP FUNCTION book()`)
	mustExec(t, conn, `DROP FUNCTION track()`)
	mustExec(t, conn, `UPDATE accounts SET balance = -1`)
}
