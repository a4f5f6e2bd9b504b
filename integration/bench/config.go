package main

import (
	"context"
)

// A StartFunc starts one system in one configuration. On success the caller
// owns the Deployment and must call its Stop; on error the StartFunc has
// already stopped whatever it started.
type StartFunc func(ctx context.Context, h *Harness) (*Deployment, error)

// A Deployment is a running system, as the harness sees it.
type Deployment struct {
	System   string   // label in the report: "PostgreSQL", "RepliSQL"
	Port     int      // where pgbench connects (primary, leader) on 127.0.0.1
	Ports    []int    // every node, Port first; the lag probe polls Ports[1]
	Names    []string // every node's name, as Ports: "primary", "standby1"; "n1", "n2"
	PIDs     []int    // root processes whose process trees are measured
	PprofURL string   // base URL of the node to profile, or "" (none)
	Describe string   // one line for the report: nodes and replication mode
	Settings []string // "name = value", recorded in the report
	stop     func() error
}

// Stop stops every process of the deployment. It is safe to call twice.
func (d *Deployment) Stop() error {
	if d == nil || d.stop == nil {
		return nil
	}
	stop := d.stop
	d.stop = nil
	return stop()
}

// A Config is one row group of the report: the same topology deployed with
// each system.
type Config struct {
	Key        string    // value of --configs
	Name       string    // row group title
	Postgres   StartFunc // PostgreSQL 15 side
	RepliSQL   StartFunc // RepliSQL side; nil while not implemented
	Todo       string    // why RepliSQL is nil, for the report
	Replicated bool      // runs --repl-scripts, with the lag probe
	// With Routes, the configuration runs Scripts at Clients (--clients
	// if given), each case once per route, for at most --routing-duration.
	Routes  []Route
	Scripts []string
	Clients []int
}

// configs lists every configuration the harness knows. The replicated ones
// compare PostgreSQL with one primary and --standbys streaming standbys with
// a RepliSQL cluster of the same node count and the same commit settings.
var configs = []Config{
	{
		Key:      "single",
		Name:     "single node",
		Postgres: startPostgresSingle,
		RepliSQL: startRepliSQLSingle,
	},
	{
		Key:        "async",
		Name:       "primary + standbys, asynchronous",
		Postgres:   startPostgresReplicated(replAsync),
		RepliSQL:   startRepliSQLCluster(replAsync),
		Replicated: true,
	},
	{
		Key:        "sync-on",
		Name:       "primary + standbys, ANY 1 (*), synchronous_commit = on",
		Postgres:   startPostgresReplicated(replSyncOn),
		RepliSQL:   startRepliSQLCluster(replSyncOn),
		Replicated: true,
	},
	{
		Key:        "remote-apply",
		Name:       "primary + standbys, ANY 1 (*), synchronous_commit = remote_apply",
		Postgres:   startPostgresReplicated(replRemoteApply),
		RepliSQL:   startRepliSQLCluster(replRemoteApply),
		Replicated: true,
	},
	{
		Key:        "read-routing",
		Name:       "primary + standbys, asynchronous, reads served by one node or spread over the standbys",
		Postgres:   startPostgresReplicated(replAsync),
		RepliSQL:   startRepliSQLCluster(replAsync),
		Replicated: true,
		Routes:     readRoutes,
		Scripts:    []string{"select-only"},
		Clients:    []int{8, 32},
	},
	{
		Key:        "write-forwarding",
		Name:       "primary + standbys, asynchronous, writes sent to the leader or to a follower",
		Postgres:   startPostgresReplicated(replAsync),
		RepliSQL:   startRepliSQLCluster(replAsync),
		Replicated: true,
		Routes:     writeRoutes,
		Scripts:    []string{"tpcb-like"},
		Clients:    []int{1, 8},
	},
}

func lookupConfig(key string) (Config, bool) {
	for _, c := range configs {
		if c.Key == key {
			return c, true
		}
	}
	return Config{}, false
}

func configKeys() []string {
	var keys []string
	for _, c := range configs {
		keys = append(keys, c.Key)
	}
	return keys
}
