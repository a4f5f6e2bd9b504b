package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// startRepliSQLSingle is the RepliSQL side of the "single node"
// configuration: `replisql serve --data-dir DIR --listen 127.0.0.1:PORT`,
// with --pprof when profiles are wanted. It runs as the harness's own user.
func startRepliSQLSingle(ctx context.Context, h *Harness) (*Deployment, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	proc, pprofURL, err := h.startRepliSQLNode("replisql", port, nil, true)
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
		Names:    []string{"replisql"},
		PIDs:     []int{proc.pid()},
		PprofURL: pprofURL,
		Describe: fmt.Sprintf("%s, one node (%s)", h.opts.replisqlLabel, h.opts.replisqlBin),
		Settings: h.serverSettings(ctx, port),
		stop:     stop,
	}, nil
}

// startRepliSQLCluster returns the RepliSQL side of a replicated
// configuration: 1+--standbys nodes of `replisql serve --name nI --peers …
// --leader n1`, n1 leading, with the commit settings of the PostgreSQL side
// (mode) as the leader's defaults. It waits until the leader shows every
// follower streaming (and, for a synchronous mode, a quorum standby) in
// pg_stat_replication. The nodes run as the harness's own user.
func startRepliSQLCluster(mode replMode) StartFunc {
	return func(ctx context.Context, h *Harness) (_ *Deployment, err error) {
		n := 1 + h.opts.standbys
		ports := make([]int, 0, n)
		for len(ports) < n {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			if !slices.Contains(ports, port) {
				ports = append(ports, port)
			}
		}
		var peers []string
		for i, port := range ports {
			peers = append(peers, fmt.Sprintf("n%d=127.0.0.1:%d", i+1, port))
		}
		commit, standbyNames := mode.commitSettings()
		var procs []*serverProcess
		stopAll := func() error {
			var errs []error
			for i := len(procs) - 1; i >= 0; i-- { // followers first
				errs = append(errs, procs[i].stop(60*time.Second))
			}
			return errors.Join(errs...)
		}
		defer func() {
			if err != nil {
				err = errors.Join(err, stopAll())
			}
		}()
		var pprofURL string
		for i, port := range ports {
			name := fmt.Sprintf("n%d", i+1)
			args := []string{"--name", name, "--peers", strings.Join(peers, ","), "--leader", "n1",
				"--synchronous-commit", commit, "--synchronous-standby-names", standbyNames}
			proc, url, err := h.startRepliSQLNode("replisql-"+name, port, args, i == 0)
			if err != nil {
				return nil, err
			}
			if i == 0 {
				pprofURL = url
			}
			procs = append(procs, proc)
		}
		for i, proc := range procs {
			if err := h.waitReady(ctx, ports[i], proc); err != nil {
				return nil, err
			}
			h.logf("replisql-n%d: %s listening on 127.0.0.1:%d (pid %d)", i+1, h.opts.replisqlLabel, ports[i], proc.pid())
		}
		if err := h.waitStreaming(ctx, ports[0], h.opts.standbys); err != nil {
			return nil, err
		}
		if mode != replAsync {
			if err := h.waitQuorum(ctx, ports[0]); err != nil {
				return nil, err
			}
		}
		d := &Deployment{
			System:   h.opts.replisqlLabel,
			Port:     ports[0],
			Ports:    ports,
			PprofURL: pprofURL,
			Describe: fmt.Sprintf("%s, leader + %d followers (`serve --peers … --leader n1`, %s), %v",
				h.opts.replisqlLabel, h.opts.standbys, h.opts.replisqlBin, mode),
			Settings: h.serverSettings(ctx, ports[0]),
			stop:     stopAll,
		}
		for i, p := range procs {
			d.PIDs = append(d.PIDs, p.pid())
			d.Names = append(d.Names, fmt.Sprintf("n%d", i+1))
		}
		return d, nil
	}
}

// startRepliSQLNode starts `replisql serve --data-dir DIR --listen
// 127.0.0.1:PORT ARGS...` with its data in h.dir/NAME/data and its log in
// h.dir/NAME.log, and with --pprof if withPprof and profiles are wanted.
// It returns the process and the pprof base URL ("" without).
func (h *Harness) startRepliSQLNode(name string, port int, args []string, withPprof bool) (*serverProcess, string, error) {
	dir := filepath.Join(h.dir, name)
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, "", fmt.Errorf("create data dir: %w", err)
	}
	argv := append([]string{h.opts.replisqlBin, "serve", "--data-dir", data, "--listen", "127.0.0.1:" + strconv.Itoa(port)}, args...)
	var pprofURL string
	if withPprof && h.opts.profileDir != "" {
		pport, err := freePort()
		if err != nil {
			return nil, "", err
		}
		addr := "127.0.0.1:" + strconv.Itoa(pport)
		argv = append(argv, "--pprof", addr)
		pprofURL = "http://" + addr
	}
	proc, err := startServer(name, argv, dir, filepath.Join(h.dir, name+".log"), nil, serverEnv())
	if err != nil {
		return nil, "", err
	}
	return proc, pprofURL, nil
}
