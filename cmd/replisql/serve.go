package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/replica"
	"github.com/replisql/replisql/router"
	"github.com/replisql/replisql/session"
	"github.com/replisql/replisql/store"
	"github.com/replisql/replisql/wal"
)

type serveConfig struct {
	dataDir         string
	listen          string
	database        string
	tlsCert         string
	tlsKey          string
	tlsRequired     bool
	usersFile       string
	auth            string
	maxConnections  int
	readers         int
	writeWait       time.Duration
	shutdownTimeout time.Duration
	syncCommit      string
	snapshotEvery   time.Duration
	snapshotsKept   int
	memoryLimit     int64
	statementWAL    bool
	logLevel        string
	logFormat       string
	pprof           string

	name         string
	peers        string
	leader       string
	standbyNames string
	replUser     string
	replPassword string
	forward      bool
	readRouting  string
}

func serveFlags(c *serveConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.dataDir, "data-dir", "data", "data directory (created if missing)")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:5433", "address to accept PostgreSQL clients on")
	fs.StringVar(&c.database, "database", "postgres", "name of the database this node serves")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate file (PEM); enables TLS with --tls-key")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.BoolVar(&c.tlsRequired, "tls-required", false, "refuse clients that do not use TLS")
	fs.StringVar(&c.usersFile, "users-file", "", "users file (name:method:verifier per line); default DATA-DIR/users if it exists")
	fs.StringVar(&c.auth, "auth", "auto", "method for users not in the users file: trust, reject, password, md5, scram-sha-256, or auto (trust on a loopback address, scram-sha-256 otherwise)")
	fs.IntVar(&c.maxConnections, "max-connections", 100, "maximum concurrent client connections")
	fs.IntVar(&c.readers, "readers", 4, "SQLite reader connections")
	fs.DurationVar(&c.writeWait, "write-wait", 10*time.Second, "how long a write waits for the database's write lock before failing with 55P03")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "on SIGINT/SIGTERM, how long running statements may take to finish")
	fs.StringVar(&c.syncCommit, "synchronous-commit", "on", "default synchronous_commit: off, local, remote_write, on, remote_apply (sessions may SET it)")
	fs.DurationVar(&c.snapshotEvery, "snapshot-interval", 15*time.Minute, "take a snapshot this often when the database changed (0: never); the WAL before the oldest kept snapshot is purged")
	fs.IntVar(&c.snapshotsKept, "snapshots-kept", 2, "snapshots to keep")
	fs.BoolVar(&c.statementWAL, "statement-wal", true, "keep the statement WAL (the source of truth that replication ships); false runs on SQLite alone with synchronous=FULL, for comparisons")
	fs.Int64Var(&c.memoryLimit, "memory-limit-mb", 512, "soft limit of the Go heap in MiB (the runtime collects harder near it and returns memory to the OS); 0 for none; GOMEMLIMIT, if set, wins")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.logFormat, "log-format", "auto", "log format: auto (text on a terminal, else JSON), json, text")
	fs.StringVar(&c.pprof, "pprof", "", "serve net/http/pprof on this address (e.g. 127.0.0.1:6060)")
	fs.StringVar(&c.name, "name", "", "this node's name in --peers (also its application_name when it follows)")
	fs.StringVar(&c.peers, "peers", "", "the cluster's nodes: name=host:port,... (empty: a single node)")
	fs.StringVar(&c.leader, "leader", "", "the name of the initial leader in --peers")
	fs.StringVar(&c.standbyNames, "synchronous-standby-names", "", "default synchronous_standby_names: '', 'FIRST n (a, b)', 'ANY n (a, b | *)' (sessions may SET it)")
	fs.StringVar(&c.replUser, "replication-user", "postgres", "role a follower connects to the leader as")
	fs.StringVar(&c.replPassword, "replication-password", "", "password of --replication-user (prefer REPLISQL_REPLICATION_PASSWORD)")
	fs.StringVar(&c.readRouting, "read-routing", "any", "default replisql.read_routing: where read-only statements run (leader, followers, any)")
	fs.BoolVar(&c.forward, "forward-writes", true, "a follower runs its sessions' writes (and the rest of their transaction) on the leader; false: they fail with 25006")
	return fs
}

func serve(ctx context.Context, args []string) error {
	var c serveConfig
	fs := serveFlags(&c)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// The flags given, on the command line or as REPLISQL_* (parseFlags
	// sets those through the flag set, which counts them as given).
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	nodeRole, err := clusterRole(&c, set["listen"])
	if err != nil {
		return err
	}
	switch c.readRouting {
	case "leader", "followers", "any":
	default:
		return usageError{fmt.Sprintf("bad --read-routing %q: leader, followers or any", c.readRouting)}
	}
	if _, err := replica.ParseStandbyNames(c.standbyNames); err != nil {
		return usageError{fmt.Sprintf("bad --synchronous-standby-names %q: %v", c.standbyNames, err)}
	}
	log, err := newLogger(os.Stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	if c.memoryLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(c.memoryLimit << 20)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		// A commit spends much of its time in blocking system calls
		// (pwrite, fdatasync, the client's socket). A goroutine coming
		// back from one needs a P; with one P a core, on a busy machine it
		// waits for a running goroutine to yield. Twice as many Ps as
		// cores let the kernel run it at once: +9 % single-row commits/s
		// at 8 clients on 2 cores (4 alternating rounds).
		runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	}
	auth, err := authenticator(c)
	if err != nil {
		return err
	}
	wire := pgwire.Config{
		Listen:         c.listen,
		Database:       c.database,
		TLSRequired:    c.tlsRequired,
		Auth:           auth,
		MaxConnections: c.maxConnections,
		ServerVersion:  pgVersion,
		Logger:         log,
	}
	if c.tlsCert != "" || c.tlsKey != "" {
		if wire.TLS, err = pgwire.LoadTLSConfig(c.tlsCert, c.tlsKey); err != nil {
			return err
		}
	} else if c.tlsRequired {
		return usageError{"--tls-required needs --tls-cert and --tls-key"}
	}

	switch c.syncCommit {
	case "off", "local", "remote_write", "on", "remote_apply":
	default:
		return usageError{fmt.Sprintf("bad --synchronous-commit %q", c.syncCommit)}
	}
	st, err := store.Open(ctx, store.Options{
		Dir:           c.dataDir,
		Readers:       c.readers,
		WriteWait:     c.writeWait,
		SnapshotsKept: c.snapshotsKept,
		NoWAL:         !c.statementWAL,
		OnConnect:     session.AttachCatalog,
		Logger:        log,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error().Err(err).Msg("close database")
		}
	}()
	// Cluster settings given on the command line win over ALTER SYSTEM's.
	flagSettings := map[string]string{}
	for flagName, param := range map[string]string{"synchronous-commit": "synchronous_commit",
		"synchronous-standby-names": "synchronous_standby_names", "read-routing": "replisql.read_routing"} {
		if set[flagName] {
			flagSettings[param] = fs.Lookup(flagName).Value.String()
		}
	}
	sysID, err := systemID(c.dataDir)
	if err != nil {
		return err
	}
	defaults := map[string]string{"synchronous_commit": c.syncCommit, "synchronous_standby_names": c.standbyNames}
	var node *replica.Node
	var follower *replica.Follower
	var cl *router.Cluster
	if nodeRole.leader {
		leader := replica.NewLeader(st, sysID, log)
		wire.ReplicationHandler = leader
		node = replica.LeaderNode(leader)
	} else {
		follower = replica.NewFollower(st, replica.FollowerConfig{
			Name: nodeRole.name, Leader: nodeRole.leaderAddr,
			User: c.replUser, Password: c.replPassword, Logger: log,
		})
		node = replica.FollowerNode(follower)
		defaults["in_hot_standby"] = "on"
		if !c.forward {
			defaults["default_transaction_read_only"] = "on"
		}
	}
	if len(nodeRole.peers) > 1 && (nodeRole.leader || c.forward) {
		peers := map[string]string{}
		for _, p := range nodeRole.peers {
			peers[p.name] = p.addr
		}
		cl = router.NewCluster(nodeRole.name, c.leader, peers, router.Config{
			User: c.replUser, Password: c.replPassword, Database: c.database, Logger: log})
		defer cl.Close()
	}
	defaults["replisql.read_routing"] = c.readRouting
	sysconf := newSysConfig(c.dataDir, flagSettings, log)
	eng := session.NewEngine(session.Config{
		ServerVersion: pgVersion,
		Database:      c.database,
		Defaults:      defaults,
		Users:         roleNames(auth.Users),
		Replication:   node,
		Router:        cl,
		NodeName:      nodeRole.name,
		AlterSystem:   sysconf.alter,
		Reload:        sysconf.reload,
		Logger:        log,
	}, st)
	sysconf.eng = eng
	if err := sysconf.reload(); err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer func() {
		signal.Stop(hup)
		close(hup)
	}()
	go func() {
		for range hup {
			log.Info().Msg("received SIGHUP, reloading configuration files")
			sysconf.reload()
		}
	}()
	wire.Handler = eng
	srv, err := pgwire.NewServer(wire)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if c.pprof != "" {
		go servePprof(c.pprof, log.Error)
	}
	if c.snapshotEvery > 0 {
		go snapshotLoop(ctx, st, c.snapshotEvery, log)
	}
	followed := make(chan struct{})
	fctx, stopFollowing := context.WithCancel(ctx)
	if follower != nil {
		go func() {
			defer close(followed)
			follower.Run(fctx)
		}()
	} else {
		close(followed)
	}
	defer func() { stopFollowing(); <-followed }() // before the store closes
	roleName := "leader"
	if !nodeRole.leader {
		roleName = "follower of " + nodeRole.leaderAddr
	}
	log.Info().Str("name", nodeRole.name).Str("role", roleName).Str("listen", ln.Addr().String()).Str("data_dir", c.dataDir).Str("database", c.database).
		Str("auth", string(auth.Default)).Bool("tls", wire.TLS != nil).Str("version", version).Msg("ready to accept connections")

	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info().Dur("timeout", c.shutdownTimeout).Msg("shutting down: no new connections, waiting for running statements")
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn().Err(err).Msg("shutdown")
	}
	if err := <-served; err != nil && !errors.Is(err, pgwire.ErrServerClosed) {
		log.Warn().Err(err).Msg("serve")
	}
	log.Info().Msg("stopped")
	return nil
}

// authenticator builds the authentication policy from the flags.
func authenticator(c serveConfig) (*pgwire.Authenticator, error) {
	a := &pgwire.Authenticator{Users: pgwire.NewUsers()}
	path := c.usersFile
	if path == "" {
		def := filepath.Join(c.dataDir, "users")
		if _, err := os.Stat(def); err == nil {
			path = def
		}
	}
	if path != "" {
		u, err := pgwire.LoadUsers(path)
		if err != nil {
			return nil, err
		}
		a.Users = u
	}
	switch m := pgwire.AuthMethod(c.auth); m {
	case "auto":
		a.Default = pgwire.MethodSCRAM
		if isLoopback(c.listen) {
			a.Default = pgwire.MethodTrust
		}
	case pgwire.MethodTrust, pgwire.MethodReject, pgwire.MethodPassword, pgwire.MethodMD5, pgwire.MethodSCRAM:
		a.Default = m
	default:
		return nil, usageError{fmt.Sprintf("bad --auth %q", c.auth)}
	}
	return a, nil
}

// isLoopback reports whether addr listens only on a loopback address.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func servePprof(addr string, logErr func() *zerolog.Event) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		logErr().Err(err).Str("addr", addr).Msg("pprof server")
	}
}

// snapshotLoop takes a snapshot every interval when the database changed
// since the last one.
func snapshotLoop(ctx context.Context, st *store.Store, every time.Duration, log zerolog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	var last wal.LSN
	if snaps, err := st.Snapshots(); err == nil && len(snaps) > 0 {
		last = snaps[len(snaps)-1].LSN
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if st.AppliedLSN() == last {
			continue
		}
		info, err := st.Snapshot(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Error().Err(err).Msg("snapshot")
			}
			continue
		}
		last = info.LSN
	}
}

// roleNames lists the roles pg_roles shows: postgres first (the owner of
// everything, as the bootstrap superuser), then the users file's.
func roleNames(u *pgwire.Users) []string {
	names := []string{"postgres"}
	for _, x := range u.All() {
		if x.Name != "postgres" {
			names = append(names, x.Name)
		}
	}
	return names
}
