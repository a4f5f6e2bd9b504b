package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// pgbenchPath returns pgbench from PATH or skips the test.
func pgbenchPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("pgbench")
	if err != nil {
		t.Skip("pgbench not on PATH: skipping the pgbench tests")
	}
	return p
}

// runPgbench runs `pgbench args... DSN` with PG* variables cleared and
// returns its exit error and its output, stdout and stderr together.
func runPgbench(t *testing.T, pgbench, dsn string, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, pgbench, append(args, dsn)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("pgbench %v did not finish within %v; output:\n%s", args, timeout, out)
	}
	return string(out), err
}

// psqlValue runs one query with psql -At and returns its trimmed output.
func psqlValue(t *testing.T, psql, dsn, query string) string {
	t.Helper()
	out, err := runPSQL(t, psql, dsn, nil, "-v", "ON_ERROR_STOP=1", "-At", "-c", query)
	if err != nil {
		t.Fatalf("psql -c %q: %v\n%s", query, err, out)
	}
	return strings.TrimSpace(out)
}

// TestPgbench runs pgbench's initialisation (client-side generation with
// COPY … WITH (FREEZE ON) and one CopyData message per row, then
// server-side generation with INSERT … SELECT generate_series) and every
// built-in script in every query mode against one node, and checks that
// no transaction failed and that the money adds up.
func TestPgbench(t *testing.T) {
	t.Parallel()
	pgbench := pgbenchPath(t)
	psql := psqlPath(t)
	n := startNode(t)
	dsn := n.dsn()

	checkInitialised := func(t *testing.T) {
		t.Helper()
		for table, want := range map[string]string{
			"pgbench_accounts": "100000", "pgbench_tellers": "10", "pgbench_branches": "1", "pgbench_history": "0",
		} {
			if got := psqlValue(t, psql, dsn, "SELECT count(*) FROM "+table); got != want {
				t.Errorf("count(*) FROM %s = %s, want %s", table, got, want)
			}
		}
		for _, pk := range []struct{ table, line string }{
			{"pgbench_accounts", `"pgbench_accounts_pkey" PRIMARY KEY, btree (aid)`},
			{"pgbench_tellers", `"pgbench_tellers_pkey" PRIMARY KEY, btree (tid)`},
			{"pgbench_branches", `"pgbench_branches_pkey" PRIMARY KEY, btree (bid)`},
		} {
			out, err := runPSQL(t, psql, dsn, nil, "-c", `\d `+pk.table)
			if err != nil || !strings.Contains(out, pk.line) {
				t.Errorf(`psql \d %s (%v) does not show %s:`+"\n%s", pk.table, err, pk.line, out)
			}
		}
	}
	for _, init := range []struct {
		name string
		args []string
	}{
		{"init_dtgvp", []string{"-i", "-s", "1"}}, // the default steps: client-side COPY
		{"init_dtGvp", []string{"-i", "-s", "1", "-I", "dtGvp"}},
	} {
		t.Run(init.name, func(t *testing.T) {
			out, err := runPgbench(t, pgbench, dsn, 2*time.Minute, init.args...)
			if err != nil {
				t.Fatalf("pgbench %v: %v\n%s", init.args, err, out)
			}
			checkInitialised(t)
		})
	}
	if t.Failed() {
		return
	}

	// Without -n, pgbench starts every run by vacuuming the branches and
	// tellers and truncating pgbench_history, so after a run the history
	// holds only that run's deltas: each run's balance changes are checked
	// against its own history (the runs keep pgbench's pre-run step, as a
	// user's would). The first run starts from the zero balances of the
	// init, so there sum(abalance) = sum(tbalance) = sum(bbalance) =
	// sum(delta) literally; later runs check the same equation on the
	// change in balance.
	balances := func(t *testing.T) [3]int64 {
		t.Helper()
		var b [3]int64
		for i, q := range []string{
			"SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts",
			"SELECT coalesce(sum(tbalance), 0) FROM pgbench_tellers",
			"SELECT coalesce(sum(bbalance), 0) FROM pgbench_branches",
		} {
			if _, err := fmt.Sscan(psqlValue(t, psql, dsn, q), &b[i]); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return b
	}
	for _, script := range []struct {
		name string
		flag string
		// which of accounts, tellers, branches the script moves by the
		// sum of its history's deltas (the others must not change)
		moves [3]bool
	}{
		{"tpcb-like", "", [3]bool{true, true, true}},
		{"simple-update", "-N", [3]bool{true, false, false}},
		{"select-only", "-S", [3]bool{false, false, false}},
	} {
		for _, mode := range []string{"simple", "extended", "prepared"} {
			t.Run(script.name+"/"+mode, func(t *testing.T) {
				before := balances(t)
				args := []string{"-T", "10", "-c", "4", "-j", "2", "-M", mode}
				if script.flag != "" {
					args = append(args, script.flag)
				}
				out, err := runPgbench(t, pgbench, dsn, 2*time.Minute, args...)
				if err != nil {
					t.Fatalf("pgbench %v: %v\n%s", args, err, out)
				}
				if !strings.Contains(out, "number of failed transactions: 0 (0.000%)") {
					t.Errorf("pgbench %v reports failed transactions:\n%s", args, out)
				}
				if !strings.Contains(out, "number of transactions actually processed: ") {
					t.Errorf("pgbench %v processed no transactions:\n%s", args, out)
				}
				t.Logf("pgbench %s: %s", strings.Join(args, " "), tpsLine(out))
				var delta, rows int64
				if _, err := fmt.Sscan(psqlValue(t, psql, dsn, "SELECT coalesce(sum(delta), 0) FROM pgbench_history"), &delta); err != nil {
					t.Fatal(err)
				}
				if _, err := fmt.Sscan(psqlValue(t, psql, dsn, "SELECT count(*) FROM pgbench_history"), &rows); err != nil {
					t.Fatal(err)
				}
				if script.moves[0] && rows == 0 {
					t.Errorf("pgbench %v left no history rows", args)
				}
				after := balances(t)
				for i, table := range []string{"pgbench_accounts", "pgbench_tellers", "pgbench_branches"} {
					want := int64(0)
					if script.moves[i] {
						want = delta
					}
					if got := after[i] - before[i]; got != want {
						t.Errorf("%s: the balances moved by %d during the run, want %d (sum of pgbench_history.delta %d over %d rows)",
							table, got, want, delta, rows)
					}
				}
				if !script.moves[0] && rows != 0 {
					t.Errorf("pgbench %v left %d history rows, want 0", args, rows)
				}
			})
		}
	}
}

// tpsLine returns pgbench's "tps = …" line.
func tpsLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "tps = ") {
			return l
		}
	}
	return "(no tps line)"
}
