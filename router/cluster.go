package router

import (
	"sort"
	"sync/atomic"
)

// Cluster holds a pool of backend connections to every other node, and
// counts statements by route.
type Cluster struct {
	leader string
	pools  map[string]*Pool
	next   atomic.Uint64 // round-robin position

	// counts has a counter for every route to every node, made up front:
	// counting a statement is one atomic add, no lock.
	counts map[Route]*atomic.Int64
}

// routeKinds are the routes a statement can take.
var routeKinds = []string{"local", "write", "read"}

// Route is where a statement ran, as the routing metrics count it.
type Route struct {
	Kind string // "local", "write" (forwarded to the leader), "read" (sent to another node)
	Node string
}

// NewCluster makes pools for every peer but self; base is the pools'
// common configuration (Addr and Name are set per peer).
func NewCluster(self, leader string, peers map[string]string, base Config) *Cluster {
	c := &Cluster{leader: leader, pools: map[string]*Pool{}, counts: map[Route]*atomic.Int64{}}
	for _, kind := range routeKinds {
		c.counts[Route{kind, self}] = new(atomic.Int64)
		for name := range peers {
			c.counts[Route{kind, name}] = new(atomic.Int64)
		}
	}
	for name, addr := range peers {
		if name == self {
			continue
		}
		cfg := base
		cfg.Name, cfg.Addr = name, addr
		c.pools[name] = NewPool(cfg)
	}
	return c
}

// LeaderPool is the pool of the leader's connections; nil on the leader.
func (c *Cluster) LeaderPool() *Pool { return c.pools[c.leader] }

// Pool returns the pool of the named node, nil for self or an unknown
// name.
func (c *Cluster) Pool(name string) *Pool { return c.pools[name] }

// Pick chooses one of the candidate nodes, round robin.
func (c *Cluster) Pick(candidates []string) string {
	if len(candidates) == 0 {
		return ""
	}
	sort.Strings(candidates)
	return candidates[int(c.next.Add(1)-1)%len(candidates)]
}

// Count notes one statement on route r (a node of the cluster).
func (c *Cluster) Count(r Route) {
	if n := c.counts[r]; n != nil {
		n.Add(1)
	}
}

// Counts returns the statements counted per route, for the routes taken.
func (c *Cluster) Counts() map[Route]int64 {
	out := make(map[Route]int64)
	for k, v := range c.counts {
		if n := v.Load(); n > 0 {
			out[k] = n
		}
	}
	return out
}

// Close closes every pool's idle connections.
func (c *Cluster) Close() {
	for _, p := range c.pools {
		p.Close()
	}
}
