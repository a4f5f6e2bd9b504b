package router

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Cluster holds a pool of backend connections to every other node, and
// counts statements by route.
type Cluster struct {
	self, leader string
	pools        map[string]*Pool
	next         atomic.Uint64 // round-robin position

	mu     sync.Mutex
	counts map[Route]int64
}

// Route is where a statement ran, as the routing metrics count it.
type Route struct {
	Kind string // "local", "write" (forwarded to the leader), "read" (sent to another node)
	Node string
}

// NewCluster makes pools for every peer but self; base is the pools'
// common configuration (Addr and Name are set per peer).
func NewCluster(self, leader string, peers map[string]string, base Config) *Cluster {
	c := &Cluster{self: self, leader: leader, pools: map[string]*Pool{}, counts: map[Route]int64{}}
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

// Self is this node's name; Leader the leader's.
func (c *Cluster) Self() string   { return c.self }
func (c *Cluster) Leader() string { return c.leader }

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

// Count notes one statement on route r.
func (c *Cluster) Count(r Route) {
	c.mu.Lock()
	c.counts[r]++
	c.mu.Unlock()
}

// Counts returns the statements counted per route.
func (c *Cluster) Counts() map[Route]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[Route]int64, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// Close closes every pool's idle connections.
func (c *Cluster) Close() {
	for _, p := range c.pools {
		p.Close()
	}
}
