package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// replMode is the commit mode of a replicated PostgreSQL configuration.
type replMode int

const (
	replAsync       replMode = iota // no synchronous standbys
	replSyncOn                      // ANY 1 (*), synchronous_commit = on
	replRemoteApply                 // ANY 1 (*), synchronous_commit = remote_apply
)

func (m replMode) String() string {
	switch m {
	case replAsync:
		return "asynchronous"
	case replSyncOn:
		return "synchronous_standby_names = 'ANY 1 (*)', synchronous_commit = on"
	default:
		return "synchronous_standby_names = 'ANY 1 (*)', synchronous_commit = remote_apply"
	}
}

// commitSettings are synchronous_commit and synchronous_standby_names of
// the primary (leader) in mode.
func (m replMode) commitSettings() (commit, standbyNames string) {
	switch m {
	case replAsync:
		return "on", ""
	case replSyncOn:
		return "on", "ANY 1 (*)"
	default:
		return "remote_apply", "ANY 1 (*)"
	}
}

// pgNode is one running PostgreSQL server.
type pgNode struct {
	dir  string // owned by the server user; holds data/, the socket and the log
	port int
	proc *serverProcess
}

func (h *Harness) pgTool(name string) string { return filepath.Join(h.opts.pgBinDir, name) }

// initdb creates a new cluster in a new directory named name.
func (h *Harness) initdb(ctx context.Context, name string) (dir string, err error) {
	dir, err = h.mkdirForServer(name)
	if err != nil {
		return "", err
	}
	_, err = runCommand(ctx, 3*time.Minute, dir, h.cred, serverEnv(),
		h.pgTool("initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--no-instructions", "--no-sync") // a throwaway cluster: the server itself runs with fsync on
	if err != nil {
		return "", fmt.Errorf("initdb %s: %w", name, err)
	}
	return dir, nil
}

// startPostgresNode starts the cluster in dir/data on a free port and waits
// until it accepts connections.
func (h *Harness) startPostgresNode(ctx context.Context, name, dir string) (*pgNode, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	argv := []string{h.pgTool("postgres"), "-D", filepath.Join(dir, "data"), "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir,
		"-c", "fsync=on", "-c", "logging_collector=off"}
	proc, err := startServer(name, argv, dir, filepath.Join(h.dir, name+".log"), h.cred, serverEnv())
	if err != nil {
		return nil, err
	}
	n := &pgNode{dir: dir, port: port, proc: proc}
	if err := h.waitReady(ctx, port, proc); err != nil {
		return nil, errors.Join(err, n.stop())
	}
	h.logf("%s: PostgreSQL listening on 127.0.0.1:%d (pid %d)", name, port, proc.pid())
	return n, nil
}

func (n *pgNode) stop() error { return n.proc.stop(60 * time.Second) }

// startPostgresSingle is the PostgreSQL side of the "single node" configuration.
func startPostgresSingle(ctx context.Context, h *Harness) (*Deployment, error) {
	dir, err := h.initdb(ctx, "postgres")
	if err != nil {
		return nil, err
	}
	n, err := h.startPostgresNode(ctx, "postgres", dir)
	if err != nil {
		return nil, err
	}
	return &Deployment{
		System:   "PostgreSQL",
		Port:     n.port,
		Ports:    []int{n.port},
		Names:    []string{"postgres"},
		PIDs:     []int{n.proc.pid()},
		Describe: "PostgreSQL 15, one server (initdb defaults, fsync on)",
		Settings: h.serverSettings(ctx, n.port),
		stop:     n.stop,
	}, nil
}

// startPostgresReplicated returns the PostgreSQL side of a replicated
// configuration: a primary and --standbys streaming standbys made with
// pg_basebackup -R, then the primary's commit mode set with ALTER SYSTEM.
func startPostgresReplicated(mode replMode) StartFunc {
	return func(ctx context.Context, h *Harness) (_ *Deployment, err error) {
		var nodes []*pgNode
		stopAll := func() error {
			var errs []error
			for i := len(nodes) - 1; i >= 0; i-- { // standbys first
				errs = append(errs, nodes[i].stop())
			}
			return errors.Join(errs...)
		}
		defer func() {
			if err != nil {
				err = errors.Join(err, stopAll())
			}
		}()
		dir, err := h.initdb(ctx, "primary")
		if err != nil {
			return nil, err
		}
		primary, err := h.startPostgresNode(ctx, "primary", dir)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, primary)
		for i := 1; i <= h.opts.standbys; i++ {
			name := fmt.Sprintf("standby%d", i)
			sdir, err := h.mkdirForServer(name)
			if err != nil {
				return nil, err
			}
			_, err = runCommand(ctx, 5*time.Minute, sdir, h.cred, clientEnv(),
				h.pgTool("pg_basebackup"), "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port), "-U", "postgres",
				"-D", filepath.Join(sdir, "data"), "-R", "-X", "stream", "-c", "fast", "--no-sync")
			if err != nil {
				return nil, fmt.Errorf("pg_basebackup %s: %w", name, err)
			}
			s, err := h.startPostgresNode(ctx, name, sdir)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, s)
		}
		if err := h.waitStreaming(ctx, primary.port, h.opts.standbys); err != nil {
			return nil, err
		}
		if mode != replAsync {
			commit, standbyNames := mode.commitSettings()
			for _, sql := range []string{
				"ALTER SYSTEM SET synchronous_standby_names = '" + standbyNames + "'",
				"ALTER SYSTEM SET synchronous_commit = '" + commit + "'",
				"SELECT pg_reload_conf()",
			} {
				if _, err := h.psql(ctx, primary.port, sql); err != nil {
					return nil, fmt.Errorf("configure primary: %w", err)
				}
			}
			// The reload is asynchronous.
			if err := h.waitQuorum(ctx, primary.port); err != nil {
				return nil, err
			}
		}
		d := &Deployment{
			System:   "PostgreSQL",
			Port:     primary.port,
			Describe: fmt.Sprintf("PostgreSQL 15, primary + %d streaming standbys (pg_basebackup -R, hot standby), %v", h.opts.standbys, mode),
			Settings: h.serverSettings(ctx, primary.port),
			stop:     stopAll,
		}
		for i, n := range nodes {
			d.Names = append(d.Names, "primary")
			if i > 0 {
				d.Names[i] = fmt.Sprintf("standby%d", i)
			}
			d.Ports = append(d.Ports, n.port)
			d.PIDs = append(d.PIDs, n.proc.pid())
		}
		return d, nil
	}
}

// waitQuorum waits until the primary (leader) on port has a quorum standby.
func (h *Harness) waitQuorum(ctx context.Context, port int) error {
	return h.waitFor(ctx, 30*time.Second, "a quorum standby", func() (bool, error) {
		out, err := h.psql(ctx, port, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'quorum'")
		return err == nil && strings.TrimSpace(out) != "0", nil
	})
}

// waitStreaming waits until the primary on port has n streaming standbys.
func (h *Harness) waitStreaming(ctx context.Context, port, n int) error {
	if n == 0 {
		return nil
	}
	return h.waitFor(ctx, 60*time.Second, fmt.Sprintf("%d streaming standbys", n), func() (bool, error) {
		out, err := h.psql(ctx, port, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
		if err != nil {
			return false, nil
		}
		got, _ := strconv.Atoi(strings.TrimSpace(out))
		return got >= n, nil
	})
}
