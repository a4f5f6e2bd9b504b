package integration

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// psqlPath returns psql from PATH or skips the test.
func psqlPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not on PATH: skipping the psql tests")
	}
	return p
}

// runPSQL runs `psql -X -d DSN args...` with PG* variables cleared and env
// added; it returns stdout and stderr together.
func runPSQL(t *testing.T, psql, dsn string, env []string, args ...string) (string, error) {
	t.Helper()
	return psqlIn(t, "", psql, dsn, env, args...)
}

// psqlIn is runPSQL in directory dir (for \copy's relative paths).
func psqlIn(t *testing.T, dir, psql, dsn string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, psql, append([]string{"-X", "-d", dsn}, args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PGCONNECT_TIMEOUT=10", "PGTZ=UTC")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("psql %v did not finish within 60s; output:\n%s", args, out)
	}
	return string(out), err
}

// TestPSQL drives a node with psql: -c, -f with \copy in and out, and
// errors inside a transaction.
func TestPSQL(t *testing.T) {
	t.Parallel()
	psql := psqlPath(t)
	n := startNode(t)
	dsn := n.dsn()

	t.Run("command", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			{"select", []string{"-At", "-c", "SELECT 1 AS one, 'a' || 'b' AS ab"}, "1|ab"},
			{"headers", []string{"-A", "-c", "SELECT 42 AS answer"}, "answer\n42\n(1 row)"},
			{"ddl_dml", []string{"-c", "CREATE TABLE pc (id int4, name text)", "-c", "INSERT INTO pc VALUES (1, 'x'), (2, NULL)",
				"-At", "-c", "SELECT count(*), count(name) FROM pc"}, "CREATE TABLE\nINSERT 0 2\n2|1"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				out, err := runPSQL(t, psql, dsn, nil, append([]string{"-v", "ON_ERROR_STOP=1"}, tc.args...)...)
				if err != nil {
					t.Fatalf("psql %v: %v\n%s", tc.args, err, out)
				}
				if got := strings.TrimSpace(out); got != tc.want {
					t.Errorf("psql %v: output\n%s\nwant\n%s", tc.args, got, tc.want)
				}
			})
		}
	})

	t.Run("file_with_copy", func(t *testing.T) {
		dir := t.TempDir()
		in := "1,alice,\n" +
			"2,\"bob, jr\",\"say \"\"hi\"\"\"\n" +
			"3,,\"\"\n" +
			"4,\"multi\nline\",x\n"
		writeFile(t, dir, "in.csv", in)
		writeFile(t, dir, "script.sql", `CREATE TABLE people (id int4, name text, note text);
\copy people from 'in.csv' csv
SELECT count(*) AS n, count(name) AS names, count(note) AS notes FROM people;
\copy people to 'out.csv' csv header
\copy (SELECT id, name FROM people WHERE id < 3 ORDER BY id) to 'query.csv' csv
\copy people to 'out.txt'
`)
		out, err := psqlIn(t, dir, psql, dsn, nil, "-v", "ON_ERROR_STOP=1", "-At", "-f", "script.sql")
		if err != nil {
			t.Fatalf("psql -f script.sql: %v\n%s", err, out)
		}
		// psql prints "COPY n" for \copy.
		if want := "CREATE TABLE\nCOPY 4\n4|3|3\nCOPY 4\nCOPY 2\nCOPY 4"; strings.TrimSpace(out) != want {
			t.Errorf("psql -f script.sql output:\n%s\nwant\n%s", strings.TrimSpace(out), want)
		}
		for _, f := range []struct{ name, want string }{
			{"out.csv", "id,name,note\n" + in},
			{"query.csv", "1,alice\n2,\"bob, jr\"\n"},
			{"out.txt", "1\talice\t\\N\n2\tbob, jr\tsay \"hi\"\n3\t\\N\t\n4\tmulti\\nline\tx\n"},
		} {
			got, err := os.ReadFile(filepath.Join(dir, f.name))
			if err != nil {
				t.Errorf("read %s: %v", f.name, err)
				continue
			}
			if string(got) != f.want {
				t.Errorf("%s written by \\copy to:\n%q\nwant\n%q", f.name, got, f.want)
			}
		}
	})

	t.Run("error_in_transaction", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "tx.sql", `\set VERBOSITY verbose
BEGIN;
SELECT 1/0;
SELECT 1;
ROLLBACK;
SELECT 'after' AS status;
`)
		out, err := psqlIn(t, dir, psql, dsn, nil, "-At", "-f", "tx.sql")
		if err != nil {
			t.Fatalf("psql -f tx.sql (without ON_ERROR_STOP): %v\n%s", err, out)
		}
		for _, want := range []string{
			"BEGIN",
			"ERROR:  22012: division by zero",
			"ERROR:  25P02: current transaction is aborted, commands ignored until end of transaction block",
			"ROLLBACK",
			"after",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("psql -f tx.sql output does not contain %q; output:\n%s", want, out)
			}
		}
		if i, j := strings.Index(out, "22012"), strings.Index(out, "25P02"); i < 0 || j < i {
			t.Errorf("psql -f tx.sql: want 22012 before 25P02; output:\n%s", out)
		}
		// With ON_ERROR_STOP the script stops at the first error, exit 3.
		out, err = psqlIn(t, dir, psql, dsn, nil, "-v", "ON_ERROR_STOP=1", "-At", "-f", "tx.sql")
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
			t.Errorf("psql -v ON_ERROR_STOP=1 -f tx.sql: got %v, want exit status 3; output:\n%s", err, out)
		}
		if strings.Contains(out, "after") {
			t.Errorf("psql -v ON_ERROR_STOP=1 -f tx.sql ran past the error; output:\n%s", out)
		}
	})
}
