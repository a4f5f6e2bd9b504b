package pgwire

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// psql (libpq 15) against the protocol server and the test session. The
// test skips when psql is not installed.
func TestPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not found:", err)
	}
	_, addr := startTestServer(t, Config{}, &testHandler{})
	host, port, _ := net.SplitHostPort(addr)
	run := func(t *testing.T, stdin string, args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, psql, append([]string{"-X", "-h", host, "-p", port, "-U", "alice", "-d", "postgres", "-v", "ON_ERROR_STOP=1"}, args...)...)
		cmd.Env = append(os.Environ(), "PGSSLMODE=prefer", "PGCONNECT_TIMEOUT=5")
		cmd.Stdin = strings.NewReader(stdin)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
		fail        bool
	}{
		{name: "select", args: []string{"-At", "-c", "select series 3"}, want: "1\n2\n3\n"},
		{name: "error", args: []string{"-c", "error"}, want: "ERROR:  division by zero\n", fail: true},
		{name: "copy out", args: []string{"-c", "copy out 2"}, want: "1\tx1\n2\tx2\n"},
		{name: "copy in", stdin: "1\ta\n2\tb\n\\.\n", args: []string{"-c", "copy in"}, want: "COPY 2\n"},
		{name: "script", stdin: "begin;\nselect 1;\ncommit;\n", args: []string{"-At"}, want: "BEGIN\n1\nCOMMIT\n"},
		{name: "server version", args: []string{"-At", "-c", `\echo :SERVER_VERSION_NAME`}, want: DefaultServerVersion + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, tc.stdin, tc.args...)
			if (err != nil) != tc.fail {
				t.Fatalf("psql: %v\n%s", err, out)
			}
			if out != tc.want {
				t.Fatalf("psql printed %q, want %q", out, tc.want)
			}
		})
	}
}

// pgbench in every query mode, with a custom script (the test session
// knows no pgbench tables). Skips when pgbench is not installed.
func TestPgbench(t *testing.T) {
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		t.Skip("pgbench not found:", err)
	}
	_, addr := startTestServer(t, Config{}, &testHandler{})
	host, port, _ := net.SplitHostPort(addr)
	script := t.TempDir() + "/script.sql"
	if err := os.WriteFile(script, []byte("\\set n random(1, 5)\nbegin;\nselect series :n;\nselect 1;\nend;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"simple", "extended", "prepared"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, pgbench, "-n", "-h", host, "-p", port, "-U", "alice", "-c", "2", "-t", "50", "-M", mode, "-f", script, "postgres")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("pgbench: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "number of transactions actually processed: 100/100") {
				t.Fatalf("pgbench:\n%s", out)
			}
		})
	}
}
