package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
)

// clusterCommand runs a local cluster in the foreground: one `serve`
// process per node, on consecutive ports, with every log line prefixed by
// its node's name. Ctrl-C (or SIGTERM) stops the nodes gracefully.
func clusterCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	nodes := fs.Int("nodes", 3, "number of nodes (the first leads)")
	host := fs.String("host", "127.0.0.1", "address the nodes listen on")
	basePort := fs.Int("base-port", 5433, "port of the first node; the others take the next ones")
	dataDir := fs.String("data-dir", "data", "parent of the nodes' data directories (DIR/n1, DIR/n2, ...)")
	logFormat := fs.String("log-format", "auto", "log format of the nodes: auto (text on a terminal), text, json")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: replisql cluster [flags] [-- serve flags...]\n\n")
		fs.PrintDefaults()
	}
	var extra []string
	for i, a := range args {
		if a == "--" {
			args, extra = args[:i], args[i+1:]
			break
		}
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *nodes < 1 || *nodes > 16 {
		return usageError{"--nodes must be between 1 and 16"}
	}
	if *logFormat == "auto" {
		*logFormat = "json"
		if isatty.IsTerminal(os.Stdout.Fd()) {
			*logFormat = "text"
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var peers []string
	for i := range *nodes {
		peers = append(peers, fmt.Sprintf("n%d=%s", i+1, net.JoinHostPort(*host, strconv.Itoa(*basePort+i))))
	}
	out := &lineWriter{w: os.Stdout}
	var procs []*exec.Cmd
	var wg sync.WaitGroup
	defer wg.Wait()
	// stopAll signals the nodes followers first, then the leader, so
	// that the followers do not log a lost leader on the way out.
	stopAll := func(sig os.Signal) {
		for i := len(procs) - 1; i >= 0; i-- {
			if procs[i].Process != nil {
				_ = procs[i].Process.Signal(sig)
			}
		}
	}
	exited := make(chan string, *nodes)
	for i := range *nodes {
		name := fmt.Sprintf("n%d", i+1)
		cmdArgs := append([]string{"serve",
			"--name", name, "--peers", strings.Join(peers, ","), "--leader", "n1",
			"--data-dir", filepath.Join(*dataDir, name), "--log-format", *logFormat}, extra...)
		cmd := exec.Command(self, cmdArgs...)
		// The nodes get our signals from us, not from the terminal, so
		// that the leader is not stopped before we ask.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		pr, pw := io.Pipe()
		cmd.Stdout, cmd.Stderr = pw, pw
		if err := cmd.Start(); err != nil {
			stopAll(syscall.SIGTERM)
			return fmt.Errorf("start %s: %w", name, err)
		}
		procs = append(procs, cmd)
		wg.Add(2)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(pr)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				out.line(name, sc.Bytes())
			}
			io.Copy(io.Discard, pr)
		}()
		go func() {
			defer wg.Done()
			err := cmd.Wait()
			pw.Close()
			if err != nil {
				out.line("cluster", fmt.Appendf(nil, "%s exited: %v", name, err))
			}
			exited <- name
		}()
	}
	out.line("cluster", fmt.Appendf(nil, "%d nodes: %s (leader n1); connect with: psql -h %s -p %d -U postgres", *nodes, strings.Join(peers, ","), *host, *basePort))
	select {
	case <-ctx.Done():
		out.line("cluster", []byte("stopping the nodes"))
	case name := <-exited:
		out.line("cluster", fmt.Appendf(nil, "%s stopped: stopping the others", name))
	}
	stopAll(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		out.line("cluster", []byte("nodes still running after 30s: killing them"))
		stopAll(syscall.SIGKILL)
	}
	if ctx.Err() == nil {
		return errors.New("a node stopped unexpectedly")
	}
	return nil
}

// lineWriter writes whole lines from several nodes without mixing them.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) line(prefix string, b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%-7s | %s\n", prefix, b)
}
