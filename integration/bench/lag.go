package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The lag probe measures replication lag while a case runs on a replicated
// deployment. Every lagProbeInterval it commits one row into lagTable on
// the leader (primary), then polls the first follower (standby, Ports[1])
// until the row is visible there. A probe's lag is the time from the
// commit's return to the return of the first poll that sees the row: an
// upper bound, by at most one poll round trip and one poll spacing.
//
// The probe is the same for both systems: one pgx connection to each side,
// the same two statements, the same timing. It adds about 13 small commits
// a second to the load, and between probes it is idle.
const (
	lagTable         = "bench_lag"
	lagTableDDL      = "CREATE TABLE IF NOT EXISTS " + lagTable + " (id bigint PRIMARY KEY, written_at timestamptz NOT NULL)"
	lagInsertSQL     = "INSERT INTO " + lagTable + " (id, written_at) VALUES ($1, now())"
	lagSelectSQL     = "SELECT count(*) FROM " + lagTable + " WHERE id = $1"
	lagProbeInterval = 75 * time.Millisecond
	lagProbeTimeout  = 10 * time.Second // a probe whose row is not visible by then counts as timed out
	lagPollMin       = 500 * time.Microsecond
	lagPollMax       = 10 * time.Millisecond
	catchUpPoll      = 5 * time.Millisecond
)

// lagStats are one case's lag probes.
type lagStats struct {
	N        int     // probes whose row became visible on the follower
	P50Ms    float64 // nearest rank
	P99Ms    float64
	MaxMs    float64
	TimedOut int    // rows not visible within lagProbeTimeout
	Errors   int    // failed connects, commits or polls
	FirstErr string // the first of those errors
}

// lagStatsOf computes the statistics of lags in microseconds.
func lagStatsOf(lags []int64) lagStats {
	st := lagStats{N: len(lags)}
	if st.N == 0 {
		return st
	}
	st.P50Ms = float64(percentile(lags, 0.50)) / 1000
	st.P99Ms = float64(percentile(lags, 0.99)) / 1000
	st.MaxMs = float64(slices.Max(lags)) / 1000
	return st
}

// lagProbe is a running probe. Its goroutine owns everything but cancel
// and done; stop waits for it.
type lagProbe struct {
	cancel context.CancelFunc
	done   chan lagStats
}

// startLagProbe starts probing the deployment d: commits on d.Port, polls
// on d.Ports[1]. d must have a follower.
func startLagProbe(ctx context.Context, d *Deployment) *lagProbe {
	ctx, cancel := context.WithCancel(ctx)
	p := &lagProbe{cancel: cancel, done: make(chan lagStats, 1)}
	go func() { p.done <- runLagProbe(ctx, d.Port, d.Ports[1]) }()
	return p
}

// stop ends the probe and returns its statistics. A probe in flight when
// stop is called is not counted.
func (p *lagProbe) stop() lagStats {
	p.cancel()
	return <-p.done
}

// lagConnString is the probe's connection string to the node on port.
func lagConnString(port int) string {
	return connInfo([]int{port}, "sslmode=disable", "connect_timeout=5", "application_name=replisql-bench-lag")
}

// runLagProbe probes until ctx ends.
func runLagProbe(ctx context.Context, leaderPort, followerPort int) lagStats {
	var (
		lags               []int64 // µs
		timedOut, errs     int
		firstErr           string
		leader, follower   *pgx.Conn
		lastID             int64
		leaderDSN, follDSN = lagConnString(leaderPort), lagConnString(followerPort)
	)
	fail := func(what string, err error) {
		errs++
		if firstErr == "" {
			firstErr = what + ": " + firstLine(err.Error())
		}
	}
	closeConn := func(c **pgx.Conn) {
		if *c != nil {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			(*c).Close(cctx)
			cancel()
			*c = nil
		}
	}
	defer closeConn(&leader)
	defer closeConn(&follower)
	// connect (re)opens a connection that is missing or broken.
	connect := func(c **pgx.Conn, dsn, what string) bool {
		if *c != nil && !(*c).IsClosed() {
			return true
		}
		closeConn(c)
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(cctx, dsn)
		if err != nil {
			if ctx.Err() == nil {
				fail("connect to "+what, err)
			}
			return false
		}
		*c = conn
		return true
	}
	tick := time.NewTicker(lagProbeInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return lagStatsOf(lags).with(timedOut, errs, firstErr)
		case <-tick.C:
		}
		if !connect(&leader, leaderDSN, "leader") || !connect(&follower, follDSN, "follower") {
			continue
		}
		// Ids grow over the run, also across cases on one deployment.
		id := max(time.Now().UnixNano(), lastID+1)
		lastID = id
		lag, err := probeOnce(ctx, leader, follower, id)
		switch {
		case ctx.Err() != nil:
			// Stopped mid-probe: not counted.
		case errors.Is(err, errLagTimeout):
			timedOut++
		case err != nil:
			fail("probe", err)
		default:
			lags = append(lags, lag.Microseconds())
		}
	}
}

func (st lagStats) with(timedOut, errs int, firstErr string) lagStats {
	st.TimedOut, st.Errors, st.FirstErr = timedOut, errs, firstErr
	return st
}

var errLagTimeout = errors.New("lag probe: row not visible on the follower in time")

// probeOnce commits row id on leader and polls follower until it sees it.
func probeOnce(ctx context.Context, leader, follower *pgx.Conn, id int64) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, lagProbeTimeout)
	defer cancel()
	if _, err := leader.Exec(ctx, lagInsertSQL, id); err != nil {
		return 0, fmt.Errorf("commit on the leader: %w", err)
	}
	committed := time.Now()
	for {
		var n int64
		if err := follower.QueryRow(ctx, lagSelectSQL, id).Scan(&n); err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return 0, errLagTimeout
			}
			return 0, fmt.Errorf("poll the follower: %w", err)
		}
		elapsed := time.Since(committed)
		if n > 0 {
			return elapsed, nil
		}
		// Poll often while the lag is small, less often as it grows:
		// the resolution stays about a tenth of the lag.
		wait := min(max(elapsed/10, lagPollMin), lagPollMax)
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return 0, errLagTimeout
			}
			return 0, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// createLagTable creates the probe's table on d's leader. pgbench -i and
// the SQL load drop only pgbench_* tables, so it survives the load.
func (h *Harness) createLagTable(ctx context.Context, d *Deployment) error {
	if _, err := h.psql(ctx, d.Port, lagTableDDL); err != nil {
		return fmt.Errorf("create %s: %w", lagTable, err)
	}
	return nil
}

// waitFollowersApplied commits a marker row on d's leader and waits until
// every follower shows it: since a follower applies the leader's WAL in
// order, it has then applied everything committed before. It returns the
// time from just before the commit until the last follower showed the row
// (polled every catchUpPoll).
func (h *Harness) waitFollowersApplied(ctx context.Context, d *Deployment, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var conns []*pgx.Conn
	defer func() {
		for _, c := range conns {
			c.Close(context.Background())
		}
	}()
	for _, port := range d.Ports {
		c, err := pgx.Connect(ctx, lagConnString(port))
		if err != nil {
			return 0, fmt.Errorf("connect to port %d: %w", port, err)
		}
		conns = append(conns, c)
	}
	start := time.Now()
	id := -start.UnixNano() // markers are negative, probe rows positive
	if _, err := conns[0].Exec(ctx, lagInsertSQL, id); err != nil {
		return 0, fmt.Errorf("commit a marker row: %w", err)
	}
	for i, c := range conns[1:] {
		for {
			var n int64
			err := c.QueryRow(ctx, lagSelectSQL, id).Scan(&n)
			if err == nil && n > 0 {
				break
			}
			if ctx.Err() != nil {
				return time.Since(start), fmt.Errorf("follower %d (port %d) has not applied the leader's WAL after %v: %w",
					i+1, d.Ports[i+1], timeout, ctx.Err())
			}
			if err != nil {
				return time.Since(start), fmt.Errorf("poll follower %d (port %d): %w", i+1, d.Ports[i+1], err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(catchUpPoll):
			}
		}
	}
	return time.Since(start), nil
}

// formatLagCount is "N" or "N (T timed out, E errors)".
func formatLagCount(st lagStats) string {
	s := strconv.Itoa(st.N)
	var extra []string
	if st.TimedOut > 0 {
		extra = append(extra, fmt.Sprintf("%d timed out", st.TimedOut))
	}
	if st.Errors > 0 {
		extra = append(extra, fmt.Sprintf("%d errors", st.Errors))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}
