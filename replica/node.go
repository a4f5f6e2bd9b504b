package replica

import (
	"context"
	"time"

	"github.com/replisql/replisql/wal"
)

// Node is a node's replication role as its sessions see it: the leader,
// which makes commits wait for standbys, or a follower, which is read-only.
type Node struct {
	leader   *Leader
	follower *Follower
}

// LeaderNode is the role of the leader l.
func LeaderNode(l *Leader) *Node { return &Node{leader: l} }

// FollowerNode is the role of the follower f.
func FollowerNode(f *Follower) *Node { return &Node{follower: f} }

// InRecovery reports whether the node is a follower.
func (n *Node) InRecovery() bool { return n.follower != nil }

// Healthy is nil unless the node is a follower that stopped applying.
func (n *Node) Healthy() error {
	if n.follower == nil {
		return nil
	}
	return n.follower.Healthy()
}

// WaitCommit waits for the standbys a commit's level asks for (leader
// only; a follower commits nothing).
func (n *Node) WaitCommit(ctx context.Context, lsn wal.LSN, level, standbyNames string, now func() (string, string)) error {
	if n.leader == nil {
		return nil
	}
	return n.leader.WaitCommit(ctx, lsn, level, standbyNames, now)
}

// Reconfigured wakes the commits waiting for standbys, to re-read their
// settings after a configuration reload.
func (n *Node) Reconfigured() {
	if n.leader != nil {
		n.leader.wake()
	}
}

// ReceivedLSN is how far a follower received and flushed the WAL (0 on
// the leader).
func (n *Node) ReceivedLSN() wal.LSN {
	if n.follower == nil {
		return 0
	}
	return n.follower.ReceivedLSN()
}

// ReplayedLSN is how far a follower applied the WAL (0 on the leader).
func (n *Node) ReplayedLSN() wal.LSN {
	if n.follower == nil {
		return 0
	}
	return n.follower.st.AppliedLSN()
}

// LastReplayTime is when the last transaction a follower applied began
// on the leader (zero on the leader).
func (n *Node) LastReplayTime() time.Time {
	if n.follower == nil {
		return time.Time{}
	}
	return n.follower.LastReplayTime()
}

// Standbys reports the leader's standbys (pg_stat_replication); none on a
// follower.
func (n *Node) Standbys(names string) []StandbyStatus {
	if n.leader == nil {
		return nil
	}
	return n.leader.Standbys(names)
}

// LagBytes is how far a follower's applied position is behind the
// leader's flushed WAL as last heard (0 on the leader).
func (n *Node) LagBytes() int64 {
	if n.follower == nil {
		return 0
	}
	lag := int64(n.follower.leaderEnd.Load()) - int64(n.follower.st.AppliedLSN())
	return max(lag, 0)
}
