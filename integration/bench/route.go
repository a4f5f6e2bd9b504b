package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// A Route is how the clients of a case reach a replicated deployment, on
// each system the way its users would do it. A configuration with Routes
// runs each of its cases once per route; the report puts the routes of a
// case side by side and compares each with its Baseline.
type Route struct {
	Name     string      // the report's Route column
	Baseline string      // the route this one is compared with, or ""
	Describe string      // one line for the report: what each system does
	Postgres ConnectFunc // PostgreSQL side
	RepliSQL ConnectFunc // RepliSQL side
}

// A ConnectFunc splits a case's clients over pgbench processes that run
// concurrently against d.
type ConnectFunc func(d *Deployment, clients int) []pgbenchTarget

// A pgbenchTarget is one pgbench process of a case.
type pgbenchTarget struct {
	Node     string // the node(s) it connects to, for the report
	ConnInfo string // libpq connection string, passed as pgbench's dbname
	Clients  int
}

// connInfo is a libpq connection string to the nodes on ports (tried in
// order), as the user postgres, plus extra keyword=value pairs.
func connInfo(ports []int, extra ...string) string {
	hosts := make([]string, len(ports))
	ps := make([]string, len(ports))
	for i, p := range ports {
		hosts[i], ps[i] = "127.0.0.1", strconv.Itoa(p)
	}
	return strings.Join(append([]string{"host=" + strings.Join(hosts, ","), "port=" + strings.Join(ps, ","),
		"user=postgres", "dbname=postgres"}, extra...), " ")
}

// readRoutingOption is the connection option that sets the session's
// replisql.read_routing.
func readRoutingOption(policy string) string {
	return "options='-c replisql.read_routing=" + policy + "'"
}

// toNode is every client on node i of d, with extra connection keywords.
func toNode(i int, extra ...string) ConnectFunc {
	return func(d *Deployment, clients int) []pgbenchTarget {
		return []pgbenchTarget{{Node: d.Names[i], ConnInfo: connInfo(d.Ports[i:i+1], extra...), Clients: clients}}
	}
}

// onePerNode splits the clients over one pgbench per node of d (the
// first ones get the remainder); standbys connect with
// target_session_attrs=standby, so a node that is not one fails the case.
func onePerNode(d *Deployment, clients int) []pgbenchTarget {
	var ts []pgbenchTarget
	for i, port := range d.Ports {
		n := clients / len(d.Ports)
		if i < clients%len(d.Ports) {
			n++
		}
		if n == 0 {
			continue
		}
		var extra []string
		if i > 0 {
			extra = append(extra, "target_session_attrs=standby")
		}
		ts = append(ts, pgbenchTarget{Node: d.Names[i], ConnInfo: connInfo([]int{port}, extra...), Clients: n})
	}
	return ts
}

// standbyFirstReadWrite lists the first standby, then the primary, with
// target_session_attrs=read-write: libpq skips the standby and lands on
// the primary, as an application that must write but is handed every
// node does.
func standbyFirstReadWrite(d *Deployment, clients int) []pgbenchTarget {
	return []pgbenchTarget{{Node: d.Names[0] + " (via " + d.Names[1] + "," + d.Names[0] + ", read-write)",
		ConnInfo: connInfo([]int{d.Ports[1], d.Ports[0]}, "target_session_attrs=read-write"), Clients: clients}}
}

// The routes of the read-routing and write-forwarding configurations.
var (
	readRoutes = []Route{
		{
			Name:     "local",
			Describe: "PostgreSQL: one pgbench on the primary. RepliSQL: one pgbench on the leader with `" + readRoutingOption("leader") + "` (the leader serves every read)",
			Postgres: toNode(0),
			RepliSQL: toNode(0, readRoutingOption("leader")),
		},
		{
			Name:     "spread",
			Baseline: "local",
			Describe: "PostgreSQL: one pgbench per node (the primary, and each standby with `target_session_attrs=standby`), the clients split between them, run concurrently for the same time; TPS and transactions summed, latencies over the union of their per-transaction logs. RepliSQL: one pgbench on the leader with `" + readRoutingOption("followers") + "` (the leader sends each read to a follower, round robin)",
			Postgres: onePerNode,
			RepliSQL: toNode(0, readRoutingOption("followers")),
		},
	}
	writeRoutes = []Route{
		{
			Name:     "leader",
			Describe: "PostgreSQL: pgbench on the primary. RepliSQL: pgbench on the leader",
			Postgres: toNode(0),
			RepliSQL: toNode(0),
		},
		{
			Name:     "follower",
			Baseline: "leader",
			Describe: "PostgreSQL: pgbench with `host=STANDBY1,PRIMARY target_session_attrs=read-write` (libpq lands on the primary). RepliSQL: pgbench on follower n2, which forwards every write (the whole transaction) to the leader",
			Postgres: standbyFirstReadWrite,
			RepliSQL: toNode(1),
		},
	}
)

// route returns cfg's route named name.
func (cfg Config) route(name string) (Route, bool) {
	for _, r := range cfg.Routes {
		if r.Name == name {
			return r, true
		}
	}
	return Route{}, false
}

// targets are the pgbench processes of case c on one system of cfg:
// without routes, one pgbench on d.Port with every client.
func (cfg Config) targets(d *Deployment, c caseSpec, replisql bool) []pgbenchTarget {
	if r, ok := cfg.route(c.Route); ok {
		if replisql {
			return r.RepliSQL(d, c.Clients)
		}
		return r.Postgres(d, c.Clients)
	}
	return []pgbenchTarget{{Node: d.Names[0], ConnInfo: connInfo([]int{d.Port}), Clients: c.Clients}}
}

// routeCounts reads replisql_stat_routing on every node of d: per node,
// statements by "route node" since the node started.
func (h *Harness) routeCounts(ctx context.Context, d *Deployment) ([]map[string]int64, error) {
	counts := make([]map[string]int64, len(d.Ports))
	for i, port := range d.Ports {
		out, err := h.psql(ctx, port, "SELECT route, node, statements FROM replisql_stat_routing")
		if err != nil {
			return nil, fmt.Errorf("replisql_stat_routing on %s: %s", d.Names[i], serverError(err))
		}
		counts[i] = map[string]int64{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Split(line, "\t")
			if len(f) != 3 {
				continue
			}
			n, _ := strconv.ParseInt(f[2], 10, 64)
			counts[i][f[0]+" "+f[1]] += n
		}
	}
	return counts, nil
}

// servedPerNode describes after − before of routeCounts, one string per
// node: "n1: local 12, read→n2 4000".
func servedPerNode(d *Deployment, before, after []map[string]int64) []string {
	var out []string
	for i := range after {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(after[i])) {
			n := after[i][k]
			if i < len(before) {
				n -= before[i][k]
			}
			if n == 0 {
				continue
			}
			route, node, _ := strings.Cut(k, " ")
			if route == "local" {
				parts = append(parts, fmt.Sprintf("local %d", n))
			} else {
				parts = append(parts, fmt.Sprintf("%s→%s %d", route, node, n))
			}
		}
		if len(parts) == 0 {
			parts = append(parts, "0")
		}
		out = append(out, d.Names[i]+": "+strings.Join(parts, ", "))
	}
	return out
}

// splitThreads is the pgbench threads of a target with clients of the
// case's c: the case's threads in proportion, at least one.
func splitThreads(c caseSpec, clients int) int {
	return min(clients, max(1, c.Threads*clients/c.Clients))
}
