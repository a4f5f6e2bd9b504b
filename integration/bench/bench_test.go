package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testLog sends the harness's progress lines to the test log.
type testLog struct{ t *testing.T }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// replisqlBinForTest is $REPLISQL_BIN, or ../../bin/replisql.
func replisqlBinForTest(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("REPLISQL_BIN")
	if bin == "" {
		bin = filepath.Join("..", "..", "bin", "replisql")
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Skipf("no RepliSQL binary (set REPLISQL_BIN, or make build for ../../bin/replisql): %v", err)
	}
	return bin
}

// TestSmoke runs the whole harness for a second per case, at scale 1, one
// client count and one standby, so that it cannot rot. To run it with PostgreSQL on both
// sides: REPLISQL_BIN=testdata/postgres-shim.sh go test -run TestSmoke .
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers and runs pgbench: not in -short")
	}
	for _, tool := range []string{"/usr/lib/postgresql/15/bin/initdb", "/usr/lib/postgresql/15/bin/postgres", "pgbench", "psql"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("PostgreSQL 15 tools missing: %v", err)
		}
	}
	bin := replisqlBinForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second) // about 30 s on an idle machine
	defer cancel()
	dir := t.TempDir()
	report := filepath.Join(dir, "benchmarks.md")
	var out bytes.Buffer
	err := run(ctx, []string{"--scale", "1", "--duration", "1s", "--clients", "2", "--simple", "select-only:2",
		"--configs", "single,sync-on,read-routing,write-forwarding", "--standbys", "1", "--replisql-bin", bin, "--write-report", "--report", report,
		"--sample-interval", "100ms"}, &out, testLog{t})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	written, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(written, out.Bytes()) {
		t.Errorf("report file differs from the report printed")
	}
	for _, want := range []string{
		"| tpcb-like | prepared | 2 | PostgreSQL |", "| tpcb-like | prepared | 2 | RepliSQL |",
		"| simple-update | prepared | 2 | RepliSQL |", "| select-only | prepared | 2 | RepliSQL |",
		"| select-only | simple | 2 | RepliSQL |", "![TPS against clients](benchmarks.png)",
		"### primary + standbys, ANY 1 (*), synchronous_commit = on", "| Script | Mode | Clients | System | Probes |",
		"| select-only | prepared | 2 | local | PostgreSQL |", "| select-only | prepared | 2 | spread | RepliSQL |",
		"| tpcb-like | prepared | 2 | follower | PostgreSQL |", "| tpcb-like | prepared | 2 | follower | RepliSQL |",
		"| select-only | 2 | spread | PostgreSQL | primary: ", "| tpcb-like | 2 | RepliSQL | follower vs leader |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	// tpcb-like at 2 clients on RepliSQL: single node, the cluster, and the
	// cluster's lag row.
	if n := strings.Count(out.String(), "| tpcb-like | prepared | 2 | RepliSQL |"); n != 3 {
		t.Errorf("%d tpcb-like RepliSQL rows, want 3:\n%s", n, out.String())
	}
	// The replicated configuration runs only --repl-scripts (tpcb-like).
	_, repl, _ := strings.Cut(out.String(), "### primary + standbys")
	if strings.Contains(repl, "| simple-update |") {
		t.Errorf("the replicated configuration ran more than --repl-scripts:\n%s", repl)
	}
	// Reads routed to the follower are served by it: the leader counts
	// reads sent to n2, and n2 runs them; a write sent to n2 is
	// forwarded to n1.
	for _, want := range []string{"| select-only | 2 | spread | RepliSQL | n1: local ", ", read→n2 ",
		"| tpcb-like | 2 | follower | RepliSQL | n1: local ", "; n2: local "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q (statements per node)", want)
		}
	}
	_, routing, _ := strings.Cut(out.String(), "| select-only | 2 | spread | RepliSQL | ")
	if routing, _, _ = strings.Cut(routing, "\n"); !strings.Contains(routing, "read→n2") {
		t.Errorf("reads routed to the follower: counts %q lack read→n2", routing)
	}
	_, fwd, _ := strings.Cut(out.String(), "| tpcb-like | 2 | follower | RepliSQL | ")
	if fwd, _, _ = strings.Cut(fwd, "\n"); !strings.Contains(fwd, "write→n1") {
		t.Errorf("writes sent to the follower: counts %q lack write→n1", fwd)
	}
	if fi, err := os.Stat(filepath.Join(dir, "benchmarks.png")); err != nil || fi.Size() == 0 {
		t.Errorf("no plot: %v", err)
	}
}

func TestParseSummary(t *testing.T) {
	const out = `pgbench (15.18 (Debian 15.18-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 1
query mode: prepared
number of clients: 4
number of threads: 2
maximum number of tries: 1
duration: 2 s
number of transactions actually processed: 5008
number of failed transactions: 3 (0.060%)
latency average = 1.597 ms
initial connection time = 9.162 ms
tps = 2504.391257 (without initial connection time)
`
	tests := []struct {
		name    string
		in      string
		want    pgbenchSummary
		wantErr bool
	}{
		{name: "full", in: out, want: pgbenchSummary{TPS: 2504.391257, Txns: 5008, Failed: 3, AvgMs: 1.597}},
		{name: "no tps", in: "pgbench: error: connection refused\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSummary(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseTxLogs(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 1; i <= 100; i++ { // latencies 1000..100000 µs
		b.WriteString("0 " + itoa(i) + " " + itoa(i*1000) + " 0 1700000000 123456\n")
	}
	b.WriteString("1 5 failed 0 1700000000 123456\n")
	b.WriteString("garbage\n")
	if err := os.WriteFile(filepath.Join(dir, "tx.123"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tx.123.1"), []byte("2 1 200000 0 1700000000 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := parseTxLogs(dir)
	if err != nil {
		t.Fatal(err)
	}
	// 101 latencies: 1..100 ms and 200 ms; mean (5050+200)/101 ms; p99 rank ceil(99.99)=100 → 100 ms.
	if st.N != 101 || st.Failed != 1 || st.BadLines != 1 || st.Files != 2 {
		t.Errorf("counts: %+v", st)
	}
	if want := 5250.0 / 101; abs(st.AvgMs-want) > 1e-9 {
		t.Errorf("avg = %v, want %v", st.AvgMs, want)
	}
	if st.P99Ms != 100 {
		t.Errorf("p99 = %v, want 100", st.P99Ms)
	}
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name string
		in   []int64
		p    float64
		want int64
	}{
		{name: "empty", in: nil, p: 0.99, want: 0},
		{name: "one", in: []int64{7}, p: 0.99, want: 7},
		{name: "hundred", in: seq(100), p: 0.99, want: 99},
		{name: "unsorted", in: []int64{5, 1, 4, 2, 3}, p: 0.5, want: 3},
		{name: "max", in: seq(1000), p: 1, want: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("percentile = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseProcStat(t *testing.T) {
	line := "4242 (postgres: a (b) c) S 4200 4242 4242 0 -1 4194560 1 0 0 0 17 5 3 2 20 0 1 0 100 200000000 300 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	st, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if st.pid != 4242 || st.ppid != 4200 || st.cpuTicks != 17+5+3+2 || st.rss != 300*pageSize {
		t.Errorf("got %+v", st)
	}
	if _, err := parseProcStat([]byte("garbage")); err == nil {
		t.Error("garbage parsed")
	}
	self, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc")
	}
	if st, err := parseProcStat(self); err != nil || st.pid != os.Getpid() {
		t.Errorf("/proc/self/stat: %+v, %v", st, err)
	}
}

func TestWriteInitSQL(t *testing.T) {
	var b bytes.Buffer
	if err := writeInitSQL(&b, 2); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	// 8 schema statements, 1 branches batch, 1 tellers batch, 200 accounts batches.
	if got, want := len(lines), len(pgbenchSchema)+1+1+200; got != want {
		t.Fatalf("%d statements, want %d", got, want)
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "INSERT INTO pgbench_accounts") || !strings.HasSuffix(last, "(200000,2,0,'');") ||
		strings.Count(last, "),(") != sqlInitBatch-1 {
		t.Errorf("last batch: %.100s … %s", last, last[len(last)-40:])
	}
	if !strings.Contains(b.String(), "(20,2,0)") {
		t.Error("teller 20 not in branch 2")
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantCases int
		wantDur   time.Duration
		wantErr   bool
	}{
		{name: "defaults", args: nil, wantCases: 10, wantDur: 30 * time.Second},
		{name: "quick", args: []string{"--quick"}, wantCases: 7, wantDur: 5 * time.Second},
		{name: "quick with clients", args: []string{"--quick", "--clients", "4", "--simple", ""}, wantCases: 3, wantDur: 5 * time.Second},
		{name: "fractional duration", args: []string{"--duration", "1500ms"}, wantErr: true},
		{name: "unknown script", args: []string{"--scripts", "tpcc"}, wantErr: true},
		{name: "unknown config", args: []string{"--configs", "raft"}, wantErr: true},
		{name: "bad simple", args: []string{"--simple", "select-only"}, wantErr: true},
		{name: "bad repl script", args: []string{"--repl-scripts", "tpcc"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, &bytes.Buffer{})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got := len(o.cases()); got != tt.wantCases {
				t.Errorf("%d cases, want %d", got, tt.wantCases)
			}
			if o.duration != tt.wantDur {
				t.Errorf("duration %v, want %v", o.duration, tt.wantDur)
			}
			for _, c := range o.cases() {
				if c.Threads != min(c.Clients, 2) {
					t.Errorf("%v: threads", c)
				}
			}
		})
	}
}

func seq(n int) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(i + 1)
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestSamplerSingleProcess(t *testing.T) {
	s := startSampler([]int{os.Getpid()}, 10*time.Millisecond)
	ballast := make([]byte, 64<<20)
	for i := range ballast {
		ballast[i] = byte(i)
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		ballast[x%len(ballast)]++
	}
	r := s.stop()
	if r.PeakRSS < int64(len(ballast)) {
		t.Errorf("peak RSS %d < %d bytes touched", r.PeakRSS, len(ballast))
	}
	if !strings.HasPrefix(r.RSSMethod, "VmHWM") {
		t.Errorf("method %q, want VmHWM for one process", r.RSSMethod)
	}
	if r.CPUSec < 0.1 {
		t.Errorf("CPU %.2f s, want ≥ 0.1 s after 0.3 s of spinning", r.CPUSec)
	}
	if r.Samples < 2 {
		t.Errorf("%d samples", r.Samples)
	}
}

func TestFetchProfile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/debug/pprof/profile" || r.URL.Query().Get("seconds") != "3" {
			http.Error(w, "bad request "+r.URL.String(), http.StatusBadRequest)
			return
		}
		w.Write([]byte("profile bytes"))
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "sub", "p.pprof")
	if err := fetchProfile(context.Background(), srv.URL, 3, path); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "profile bytes" {
		t.Errorf("saved %q, %v", b, err)
	}
	if err := fetchProfile(context.Background(), srv.URL, 4, path); err == nil {
		t.Error("no error for HTTP 400")
	}
}

func TestMedianRows(t *testing.T) {
	a := caseSpec{Script: "tpcb-like", Mode: "prepared", Clients: 8, Threads: 2}
	b := caseSpec{Script: "select-only", Mode: "prepared", Clients: 8, Threads: 2}
	runs := []caseResult{
		{Case: a, System: "PostgreSQL", TPS: 300},
		{Case: a, System: "RepliSQL", TPS: 10},
		{Case: b, System: "PostgreSQL", Err: "pgbench: boom"},
		{Case: a, System: "PostgreSQL", TPS: 100},
		{Case: a, System: "RepliSQL", Err: "pgbench: boom"},
		{Case: b, System: "PostgreSQL", Err: "pgbench: again"},
		{Case: a, System: "PostgreSQL", TPS: 200},
		{Case: a, System: "RepliSQL", TPS: 30},
	}
	rows := medianRows(runs)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3: %+v", len(rows), rows)
	}
	tests := []struct {
		name        string
		row         caseResult
		tps, lo, hi float64
		runs        int
		err         string
	}{
		{name: "odd count", row: rows[0], tps: 200, lo: 100, hi: 300, runs: 3},
		{name: "even count, one failure", row: rows[1], tps: 10, lo: 10, hi: 30, runs: 2, err: "1 of 3 runs failed"},
		{name: "all failed", row: rows[2], err: "pgbench: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.row
			if r.TPS != tt.tps || r.TPSMin != tt.lo || r.TPSMax != tt.hi || r.Runs != tt.runs || r.Err != tt.err {
				t.Errorf("got TPS %v [%v, %v] runs %d err %q", r.TPS, r.TPSMin, r.TPSMax, r.Runs, r.Err)
			}
		})
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"--simple", "", "--replisql-label", "PG as RepliSQL", "--x", "it's", "--quick"})
	want := `--simple '' --replisql-label 'PG as RepliSQL' --x 'it'\''s' --quick`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestCasesFor(t *testing.T) {
	single, _ := lookupConfig("single")
	async, _ := lookupConfig("async")
	tests := []struct {
		name   string
		args   []string
		cfg    Config
		want   []string // Script/Mode/Clients of each case
		allRun []string // scriptsRun
	}{
		{
			name: "replicated default", args: []string{"--clients", "1,8", "--configs", "async"}, cfg: async,
			want:   []string{"tpcb-like/prepared/1", "tpcb-like/prepared/8"},
			allRun: []string{"tpcb-like"},
		},
		{
			name: "single unchanged", args: []string{"--clients", "4", "--scripts", "select-only", "--simple", "select-only:2"}, cfg: single,
			want:   []string{"select-only/prepared/4", "select-only/simple/2"},
			allRun: []string{"select-only"},
		},
		{
			name: "repl-scripts given", args: []string{"--clients", "2", "--configs", "single,async", "--scripts", "select-only",
				"--simple", "", "--repl-scripts", "simple-update,tpcb-like"}, cfg: async,
			want:   []string{"simple-update/prepared/2", "tpcb-like/prepared/2"},
			allRun: []string{"select-only", "simple-update", "tpcb-like"},
		},
		{
			name: "empty repl-scripts is --scripts", args: []string{"--clients", "2", "--configs", "async", "--scripts", "select-only",
				"--repl-scripts", ""}, cfg: async,
			want:   []string{"select-only/prepared/2"},
			allRun: []string{"select-only"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range o.casesFor(tt.cfg) {
				got = append(got, c.Script+"/"+c.Mode+"/"+itoa(c.Clients))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("cases %v, want %v", got, tt.want)
			}
			if got := o.scriptsRun(); strings.Join(got, " ") != strings.Join(tt.allRun, " ") {
				t.Errorf("scriptsRun %v, want %v", got, tt.allRun)
			}
		})
	}
}

func TestLagStats(t *testing.T) {
	tests := []struct {
		name           string
		lags           []int64 // µs
		p50, p99, maxv float64 // ms
	}{
		{name: "none", lags: nil},
		{name: "one", lags: []int64{1500}, p50: 1.5, p99: 1.5, maxv: 1.5},
		{name: "hundred and one", lags: append(seq(100), 1000000), p50: 0.051, p99: 0.1, maxv: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := lagStatsOf(tt.lags)
			if st.N != len(tt.lags) || st.P50Ms != tt.p50 || st.P99Ms != tt.p99 || st.MaxMs != tt.maxv {
				t.Errorf("got %+v, want n %d p50 %v p99 %v max %v", st, len(tt.lags), tt.p50, tt.p99, tt.maxv)
			}
		})
	}
}

func TestWriteLag(t *testing.T) {
	c := caseSpec{Script: "tpcb-like", Mode: "prepared", Clients: 8, Threads: 2}
	o, err := parseOptions([]string{"--configs", "async"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	g := groupResult{Key: "async", Cases: []caseSpec{c}, Rows: []caseResult{
		{Case: c, System: "RepliSQL", RepliSQL: true, Lag: &lagStats{N: 3, TimedOut: 1, Errors: 2, P50Ms: 1.25, P99Ms: 9, MaxMs: 9},
			CatchUp: 300 * time.Second},
		{Case: c, System: "PostgreSQL", Lag: &lagStats{N: 260, P50Ms: 0.5, P99Ms: 2, MaxMs: 3}, CatchUp: 20 * time.Millisecond, CatchUpOK: true},
	}}
	var b bytes.Buffer
	(&report{Opts: o}).writeLag(&b, g)
	for _, want := range []string{
		"| tpcb-like | prepared | 8 | PostgreSQL | 260 | 0.50 | 2.00 | 3.00 | 20 |\n" +
			"| tpcb-like | prepared | 8 | RepliSQL | 3 (1 timed out, 2 errors) | 1.25 | 9.00 | 9.00 | not after 5m0s |\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lag table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestServerError(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "psql", in: "psql -X -q: exit status 1: ERROR:  unrecognized configuration parameter \"fsync\"\nLINE 1: …", want: `unrecognized configuration parameter "fsync"`},
		{name: "no server error", in: "psql: timed out after 2m0s\nmore", want: "psql: timed out after 2m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := serverError(errors.New(tt.in)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
