package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// caseResult is one row of the report: one case on one system.
type caseResult struct {
	Case      caseSpec
	System    string
	RepliSQL  bool
	TPS       float64
	Txns      int64
	Failed    int64
	AvgMs     float64
	P50Ms     float64
	P99Ms     float64
	PeakRSS   int64 // bytes
	PeakPSS   int64 // bytes
	RSSMethod string
	MaxProcs  int // most server processes seen in one sample
	CPUSec    float64
	Runs      int     // successful runs this row summarises (--repeat)
	TPSMin    float64 // lowest and highest TPS over those runs
	TPSMax    float64
	Profile   string        // path of the CPU profile taken during the case, if any
	Served    []string      // with a route: per node, what it served during the case
	Lag       *lagStats     // replication lag probes during the case; nil without a follower
	CatchUp   time.Duration // after the case, until every follower had applied the leader's WAL
	CatchUpOK bool          // false: the followers had not caught up after catchUpTimeout (or the wait failed)
	Err       string
}

func (r caseResult) cpuPerTxnMicros() float64 {
	if r.Txns == 0 {
		return 0
	}
	return r.CPUSec / float64(r.Txns) * 1e6
}

// catchUpTimeout bounds the wait for the followers after a case.
const catchUpTimeout = 5 * time.Minute

// caseRun is how one case runs on one deployment.
type caseRun struct {
	targets     []pgbenchTarget // one pgbench each, run concurrently
	statRouting bool            // record each node's replisql_stat_routing counts
	profilePath string          // save a CPU profile of d here, if set
}

// runCase runs c against d, one pgbench per target concurrently, while
// sampling d's processes, and, if run.profilePath is set, saves a CPU
// profile of d taken during the case. On a deployment with followers, the
// lag probe runs during the case, and runCase then waits until the
// followers have caught up. With several targets, TPS, transactions and
// failures are the pgbenches' sums and latencies are over the union of
// their per-transaction logs.
func (h *Harness) runCase(ctx context.Context, d *Deployment, c caseSpec, run caseRun) caseResult {
	profilePath := run.profilePath
	r := caseResult{Case: c, System: d.System}
	logDir, err := os.MkdirTemp(h.root, "txlog-")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer os.RemoveAll(logDir)

	profErr := make(chan error, 1)
	if profilePath != "" {
		if d.PprofURL == "" {
			profilePath = ""
		} else {
			secs := max(1, int(c.Duration/time.Second)-1)
			go func() { profErr <- fetchProfile(ctx, d.PprofURL, secs, profilePath) }()
		}
	}
	var probe *lagProbe
	if len(d.Ports) > 1 {
		probe = startLagProbe(ctx, d)
	}
	var before []map[string]int64
	if run.statRouting {
		if before, err = h.routeCounts(ctx, d); err != nil {
			h.warnf("%s: %s: %v", d.System, c, err)
		}
	}
	s := startSampler(d.PIDs, h.opts.sampleInterval)
	sum, runErr := h.runPgbenches(ctx, run.targets, c, logDir)
	sample := s.stop()
	switch {
	case run.statRouting && before != nil:
		if after, err := h.routeCounts(ctx, d); err != nil {
			h.warnf("%s: %s: %v", d.System, c, err)
		} else {
			r.Served = servedPerNode(d, before, after)
		}
	case c.Route != "":
		for i, t := range run.targets {
			r.Served = append(r.Served, fmt.Sprintf("%s: %d txns", t.Node, sum.perTarget[i].Txns))
		}
	}
	if probe != nil {
		lag := probe.stop()
		r.Lag = &lag
		if lag.FirstErr != "" {
			h.warnf("%s: %s: lag probe: %d error(s), the first: %s", d.System, c, lag.Errors, lag.FirstErr)
		}
		// The next case starts from followers that have caught up; how
		// long that took shows the backlog the case left.
		r.CatchUp, err = h.waitFollowersApplied(ctx, d, catchUpTimeout)
		r.CatchUpOK = err == nil
		if err != nil {
			h.warnf("%s: %s: followers did not catch up: %v", d.System, c, err)
		}
	}
	if profilePath != "" {
		if err := <-profErr; err != nil {
			h.warnf("%s: %s: CPU profile: %v", d.System, c, err)
		} else {
			r.Profile = profilePath
		}
	}
	r.TPS, r.Txns, r.Failed, r.AvgMs = sum.TPS, sum.Txns, sum.Failed, sum.AvgMs
	r.CPUSec, r.PeakRSS, r.PeakPSS, r.RSSMethod = sample.CPUSec, sample.PeakRSS, sample.PeakPSS, sample.RSSMethod
	r.MaxProcs = sample.MaxProcs
	lat, err := parseTxLogs(logDir)
	switch {
	case err != nil:
		h.warnf("%s: %s: per-transaction log: %v", d.System, c, err)
	case lat.N > 0:
		r.AvgMs, r.P50Ms, r.P99Ms = lat.AvgMs, lat.P50Ms, lat.P99Ms
	}
	if runErr != nil {
		r.Err = fmt.Sprintf("pgbench: %v", firstLine(runErr.Error()))
		if msg := pgbenchErrorLine(runErr.Error()); msg != "" {
			r.Err += ": " + msg
		}
	}
	return r
}

// summedRun is the pgbenches of one case, summed.
type summedRun struct {
	pgbenchSummary                  // TPS, Txns, Failed summed; AvgMs weighted by transactions
	perTarget      []pgbenchSummary // as targets
}

// runPgbenches runs one pgbench per target concurrently, for the same
// duration, each logging into logDir, and sums their summaries. The error
// is the first target's that failed.
func (h *Harness) runPgbenches(ctx context.Context, targets []pgbenchTarget, c caseSpec, logDir string) (summedRun, error) {
	type result struct {
		s   pgbenchSummary
		err error
	}
	results := make([]chan result, len(targets))
	for i, t := range targets {
		results[i] = make(chan result, 1)
		threads := c.Threads
		if len(targets) > 1 {
			threads = splitThreads(c, t.Clients)
		}
		prefix := filepath.Join(logDir, fmt.Sprintf("tx.%d", i)) // parseTxLogs reads tx.*
		go func() {
			s, err := h.runPgbench(ctx, t, threads, c, prefix)
			results[i] <- result{s, err}
		}()
	}
	var sum summedRun
	var firstErr error
	var weighted float64
	for i, ch := range results {
		res := <-ch
		sum.perTarget = append(sum.perTarget, res.s)
		sum.TPS += res.s.TPS
		sum.Txns += res.s.Txns
		sum.Failed += res.s.Failed
		weighted += res.s.AvgMs * float64(res.s.Txns)
		if res.err != nil && firstErr == nil {
			firstErr = res.err
			if len(targets) > 1 {
				firstErr = fmt.Errorf("pgbench on %s: %w", targets[i].Node, res.err)
			}
		}
	}
	if sum.Txns > 0 {
		sum.AvgMs = weighted / float64(sum.Txns)
	}
	return sum, firstErr
}
