package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// serverProcess is a long-running server started by the harness in its own
// process group, so that a terminal's Ctrl-C reaches only the harness, which
// then stops the server in order.
type serverProcess struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{} // closed when the process has been waited for
	waitErr error         // set before done is closed
}

// startServer starts argv with stdout and stderr appended to logPath. cred,
// if not nil, is the user the process runs as.
func startServer(name string, argv []string, dir, logPath string, cred *syscall.Credential, env []string) (*serverProcess, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log of %s: %w", name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Pdeathsig is a safety net: if the harness dies without running its
	// deferred stops, the kernel kills the server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &serverProcess{name: name, cmd: cmd, logPath: logPath, logFile: logFile, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *serverProcess) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has exited, and how.
func (p *serverProcess) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// stop asks the server to shut down with SIGINT (PostgreSQL's fast shutdown),
// waits up to grace, then kills its whole process group.
func (p *serverProcess) stop(grace time.Duration) error {
	pgid := p.cmd.Process.Pid
	if ok, _ := p.exited(); !ok {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				return fmt.Errorf("stop %s: pid %d did not exit after SIGKILL", p.name, pgid)
			}
			return fmt.Errorf("stop %s: killed after %v without exiting on SIGINT", p.name, grace)
		}
	}
	// Stragglers left in the group (children of a wrapper script) go too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return nil
}

// logTail returns the last lines of the server's log on one line, for
// error messages.
func (p *serverProcess) logTail() string {
	tail := fileTail(p.logPath, 8)
	if tail == "" {
		return "(empty)"
	}
	return strings.ReplaceAll(tail, "\n", " ⏎ ")
}

func fileTail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// runCommand runs a one-shot command with a timeout and returns its stdout.
// Its stderr goes into the error, if any.
func runCommand(ctx context.Context, timeout time.Duration, dir string, cred *syscall.Credential, env []string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = "…" + msg[len(msg)-2000:]
		}
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %v: %w", timeout, err)
		}
		return stdout.String(), fmt.Errorf("%s: %w: %s", strings.Join(shortArgv(argv), " "), err, msg)
	}
	return stdout.String(), nil
}

func shortArgv(argv []string) []string {
	if len(argv) <= 8 {
		return argv
	}
	return append(append([]string{}, argv[:8]...), "…")
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// clientEnv is the environment of psql and pgbench: no SSL or GSS
// negotiation (plain TCP on loopback), no password prompts.
func clientEnv() []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			continue // no stray PGHOST, PGPASSWORD, PGOPTIONS…
		}
		env = append(env, kv)
	}
	return append(env, "PGSSLMODE=disable", "PGGSSENCMODE=disable", "PGCONNECT_TIMEOUT=5", "PGAPPNAME=replisql-bench")
}
