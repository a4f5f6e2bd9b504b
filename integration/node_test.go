package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// startTimeout bounds how long a node may take to accept connections.
	startTimeout = 15 * time.Second
	// stopTimeout bounds how long a node may take to exit after SIGTERM
	// (the server's own --shutdown-timeout defaults to 10s).
	stopTimeout = 20 * time.Second
	// opTimeout bounds one client operation.
	opTimeout = 60 * time.Second
)

// binaryPath returns the replisql binary under test, or skips the test
// (and so, since every test starts a node, the whole package).
func binaryPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("REPLISQL_BIN")
	if p == "" {
		p = filepath.Join("..", "bin", "replisql")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatalf("binary path %q: %v", p, err)
	}
	if st, err := os.Stat(abs); err != nil || st.IsDir() {
		t.Skipf("replisql binary not found at %s: run `make build` first or set REPLISQL_BIN", abs)
	}
	return abs
}

// lockedBuffer collects a node's stderr and stdout.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// node is one running replisql server.
type node struct {
	t       *testing.T
	bin     string
	dataDir string
	port    int
	args    []string
	cmd     *exec.Cmd
	logs    *lockedBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
	stopped bool          // stop was called
}

// startNode starts a node with its own data directory and the given extra
// flags (beyond --data-dir and --listen), waits until it accepts TCP
// connections, and stops it with SIGTERM when the test ends.
func startNode(t *testing.T, args ...string) *node {
	t.Helper()
	return startNodeIn(t, t.TempDir(), args...)
}

// startNodeIn is startNode on an existing data directory (to restart a
// node on the same data).
func startNodeIn(t *testing.T, dataDir string, args ...string) *node {
	t.Helper()
	return startNodeBin(t, binaryPath(t), dataDir, args...)
}

// startNodeBin is startNodeIn with another server binary (such as
// testdata/postgres-shim.sh, to run the same test against PostgreSQL).
func startNodeBin(t *testing.T, bin, dataDir string, args ...string) *node {
	t.Helper()
	var lastErr error
	for attempt := range 3 {
		n := &node{t: t, bin: bin, dataDir: dataDir, port: freePort(t), args: args}
		err := n.start()
		if err == nil {
			t.Cleanup(n.cleanup)
			return n
		}
		lastErr = err
		if !strings.Contains(n.logs.String(), "address already in use") {
			break
		}
		t.Logf("attempt %d: port %d taken, retrying", attempt+1, n.port)
	}
	t.Fatalf("start node: %v", lastErr)
	return nil
}

// freePort returns a currently free TCP port on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (n *node) start() error {
	full := append([]string{"serve", "--data-dir", n.dataDir, "--listen", n.addr()}, n.args...)
	n.logs = &lockedBuffer{}
	n.cmd = exec.Command(n.bin, full...)
	n.cmd.Stdout = n.logs
	n.cmd.Stderr = n.logs
	n.cmd.Env = append(os.Environ(), "TZ=UTC")
	n.done = make(chan struct{})
	if err := n.cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", n.bin, err)
	}
	go func() {
		n.waitErr = n.cmd.Wait()
		close(n.done)
	}()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-n.done:
			return fmt.Errorf("replisql %s exited before accepting connections (%v); output:\n%s",
				strings.Join(full, " "), n.waitErr, n.logs.String())
		default:
		}
		c, err := net.DialTimeout("tcp", n.addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			if n.answers() {
				return nil
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	_ = n.cmd.Process.Kill()
	<-n.done
	return fmt.Errorf("replisql %s did not accept connections within %v; output:\n%s",
		strings.Join(full, " "), startTimeout, n.logs.String())
}

// answers reports whether the node answers a startup: any outcome other
// than 57P03 (the database system is starting up) counts, including a
// refused login, since tests use their own credentials.
func (n *node) answers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, n.dsn())
	if err != nil {
		return sqlState(err) != "57P03"
	}
	_ = conn.Close(ctx)
	return true
}

func (n *node) addr() string { return fmt.Sprintf("127.0.0.1:%d", n.port) }

// url is the node's connection URL, as `replisql checksum` takes it for a
// running node (no other process may open a running node's database).
func (n *node) url() string {
	return fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable&connect_timeout=10", n.addr())
}

// stop sends SIGTERM and waits up to bound for the process to exit; it
// kills the process after that. It returns the exit error (nil for exit
// status 0) and whether the process exited by itself in time.
func (n *node) stop(bound time.Duration) (exitErr error, inTime bool) {
	n.t.Helper()
	select {
	case <-n.done:
		return n.waitErr, true
	default:
	}
	n.stopped = true
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		n.t.Logf("SIGTERM: %v", err)
	}
	select {
	case <-n.done:
		return n.waitErr, true
	case <-time.After(bound):
	}
	_ = n.cmd.Process.Kill()
	<-n.done
	return n.waitErr, false
}

// cleanup stops the node at the end of the test and shows its output if
// the test failed.
func (n *node) cleanup() {
	select {
	case <-n.done:
		if !n.stopped {
			n.t.Errorf("node on %s exited by itself before the test ended (%v): crashed?", n.addr(), n.waitErr)
		}
	default:
		exitErr, inTime := n.stop(stopTimeout)
		switch {
		case !inTime:
			n.t.Errorf("node on %s did not exit within %v of SIGTERM (killed)", n.addr(), stopTimeout)
		case exitErr != nil:
			n.t.Errorf("node on %s exited with %v after SIGTERM, want exit status 0", n.addr(), exitErr)
		}
	}
	if n.t.Failed() {
		n.t.Logf("node %s output (last lines):\n%s", n.addr(), tailLines(n.logs.String(), 150))
	}
}

func tailLines(s string, max int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > max {
		lines = append([]string{fmt.Sprintf("... %d lines omitted ...", len(lines)-max)}, lines[len(lines)-max:]...)
	}
	return strings.Join(lines, "\n")
}

// dsn is a libpq-style connection string for the node, plaintext, with
// the given extra key=value settings appended (later ones win).
func (n *node) dsn(extra ...string) string {
	parts := []string{
		"host=127.0.0.1", fmt.Sprintf("port=%d", n.port), "user=postgres", "dbname=postgres",
		"sslmode=disable", "connect_timeout=10",
	}
	return strings.Join(append(parts, extra...), " ")
}

// testCtx is a context bounded by opTimeout and cancelled when the test ends.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
	return p
}
