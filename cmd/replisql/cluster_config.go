package main

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// peer is one node of the cluster as --peers lists it.
type peer struct {
	name, addr string
}

// parsePeers reads --peers: name=host:port, comma separated.
func parsePeers(v string) ([]peer, error) {
	var out []peer
	seen := map[string]bool{}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, addr, ok := strings.Cut(item, "=")
		name, addr = strings.TrimSpace(name), strings.TrimSpace(addr)
		if !ok || name == "" || addr == "" {
			return nil, fmt.Errorf("peer %q: want name=host:port", item)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("peer %q: %v", item, err)
		}
		if seen[name] {
			return nil, fmt.Errorf("peer %q named twice", name)
		}
		seen[name] = true
		out = append(out, peer{name, addr})
	}
	return out, nil
}

// role is what the flags make of this node.
type role struct {
	name   string
	leader bool
	// leaderAddr is the leader's address (followers).
	leaderAddr string
	peers      []peer
}

// clusterRole works out the node's role from --name, --peers and
// --leader. With no --peers the node is a cluster of one: its own leader.
func clusterRole(c *serveConfig, listenSet bool) (role, error) {
	peers, err := parsePeers(c.peers)
	if err != nil {
		return role{}, usageError{"bad --peers: " + err.Error()}
	}
	r := role{name: c.name, peers: peers}
	if len(peers) == 0 {
		if c.leader != "" && c.leader != c.name {
			return role{}, usageError{"--leader names another node, but --peers is empty"}
		}
		r.leader = true
		return r, nil
	}
	if c.name == "" {
		return role{}, usageError{"--peers needs --name (this node's name in the list)"}
	}
	var self, lead *peer
	for i := range peers {
		if peers[i].name == c.name {
			self = &peers[i]
		}
		if peers[i].name == c.leader {
			lead = &peers[i]
		}
	}
	if self == nil {
		return role{}, usageError{fmt.Sprintf("--name %q is not in --peers", c.name)}
	}
	if c.leader == "" {
		return role{}, usageError{"--peers needs --leader (the initial leader's name)"}
	}
	if lead == nil {
		return role{}, usageError{fmt.Sprintf("--leader %q is not in --peers", c.leader)}
	}
	if !listenSet {
		c.listen = self.addr
	}
	r.leader = self == lead
	r.leaderAddr = lead.addr
	return r, nil
}

// systemID returns the cluster's identifier, kept in DATA-DIR/system_id
// (made on first start), which IDENTIFY_SYSTEM reports.
func systemID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "system_id")
	b, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if _, perr := strconv.ParseUint(id, 10, 64); perr == nil {
			return id, nil
		}
		return "", fmt.Errorf("%s holds %q, not a system identifier", path, id)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	id := strconv.FormatUint(binary.LittleEndian.Uint64(r[:])>>1, 10)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	return id, nil
}
