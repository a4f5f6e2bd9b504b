package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// startRepliSQLSingle is the RepliSQL side of the "single node"
// configuration: `replisql serve --data-dir DIR --listen 127.0.0.1:PORT`,
// with --pprof when profiles are wanted. It runs as the harness's own user.
func startRepliSQLSingle(ctx context.Context, h *Harness) (*Deployment, error) {
	dir := filepath.Join(h.dir, "replisql")
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	argv := []string{h.opts.replisqlBin, "serve", "--data-dir", data, "--listen", "127.0.0.1:" + strconv.Itoa(port)}
	var pprofURL string
	if h.opts.profileDir != "" {
		pport, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(pport)
		argv = append(argv, "--pprof", addr)
		pprofURL = "http://" + addr
	}
	proc, err := startServer("replisql", argv, dir, filepath.Join(h.dir, "replisql.log"), nil, serverEnv())
	if err != nil {
		return nil, err
	}
	stop := func() error { return proc.stop(60 * time.Second) }
	if err := h.waitReady(ctx, port, proc); err != nil {
		return nil, errors.Join(err, stop())
	}
	h.logf("replisql: %s listening on 127.0.0.1:%d (pid %d)", h.opts.replisqlLabel, port, proc.pid())
	return &Deployment{
		System:   h.opts.replisqlLabel,
		Port:     port,
		Ports:    []int{port},
		PIDs:     []int{proc.pid()},
		PprofURL: pprofURL,
		Describe: fmt.Sprintf("%s, one node (%s)", h.opts.replisqlLabel, h.opts.replisqlBin),
		Settings: h.serverSettings(ctx, port),
		stop:     stop,
	}, nil
}
