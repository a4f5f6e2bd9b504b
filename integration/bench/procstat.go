package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on Linux.
const clockTicks = 100

var pageSize = int64(os.Getpagesize())

// procStat is what the harness reads from /proc/PID/stat.
type procStat struct {
	pid, ppid int
	cpuTicks  int64 // utime + stime + cutime + cstime
	rss       int64 // bytes
}

// parseProcStat parses the contents of /proc/PID/stat. The command name, in
// parentheses, may itself hold spaces and parentheses: fields are counted
// after the last ')'.
func parseProcStat(b []byte) (procStat, error) {
	var st procStat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 1 || closing < open {
		return st, fmt.Errorf("malformed stat %q", b)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:open])))
	if err != nil {
		return st, fmt.Errorf("malformed stat pid: %w", err)
	}
	f := strings.Fields(string(b[closing+1:]))
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < 22 {
		return st, fmt.Errorf("malformed stat: %d fields", len(f)+2)
	}
	num := func(n int) int64 { v, _ := strconv.ParseInt(f[n-3], 10, 64); return v }
	st.pid = pid
	st.ppid = int(num(4))
	st.cpuTicks = num(14) + num(15) + num(16) + num(17)
	st.rss = num(24) * pageSize
	return st, nil
}

// readTree returns the processes in the trees under roots (roots included).
func readTree(roots []int) []procStat {
	entries, _ := os.ReadDir("/proc")
	all := map[int]procStat{}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		st, err := parseProcStat(b)
		if err != nil {
			continue
		}
		all[pid] = st
		children[st.ppid] = append(children[st.ppid], pid)
	}
	var out []procStat
	seen := map[int]bool{}
	queue := append([]int(nil), roots...)
	for len(queue) > 0 && len(seen) < 100000 {
		pid := queue[0]
		queue = queue[1:]
		st, ok := all[pid]
		if !ok || seen[pid] {
			continue
		}
		seen[pid] = true
		out = append(out, st)
		queue = append(queue, children[pid]...)
	}
	return out
}

func treeCPUTicks(roots []int) int64 {
	var t int64
	for _, p := range readTree(roots) {
		t += p.cpuTicks
	}
	return t
}

// statusKB returns a "Name:   N kB" field of /proc/PID/status or smaps_rollup.
func statusKB(path, name string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			fs := strings.Fields(rest)
			if len(fs) >= 1 {
				v, err := strconv.ParseInt(fs[0], 10, 64)
				return v, err == nil
			}
		}
	}
	return 0, false
}

// resetHWM resets the peak RSS (VmHWM) of pid, so it measures one case.
func resetHWM(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// sampleResult is what the sampler measured over one case.
type sampleResult struct {
	CPUSec    float64 // server CPU time during the case
	PeakRSS   int64   // bytes; see RSSMethod
	PeakPSS   int64   // bytes; peak of the summed PSS over samples
	RSSMethod string
	MaxProcs  int // most processes seen in one sample
	Samples   int
}

// sampler measures the process trees under roots while a case runs. One
// goroutine owns the peaks; stop waits for it before reading them.
type sampler struct {
	roots    []int
	cpuStart int64
	hwmReset bool
	quit     chan struct{}
	done     chan struct{}
	peakRSS  int64 // owned by the goroutine until done is closed
	peakPSS  int64
	maxProcs int
	samples  int
}

func startSampler(roots []int, interval time.Duration) *sampler {
	s := &sampler{roots: roots, quit: make(chan struct{}), done: make(chan struct{}), hwmReset: true}
	for _, pid := range roots {
		if resetHWM(pid) != nil {
			s.hwmReset = false
		}
	}
	s.cpuStart = treeCPUTicks(roots)
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.quit:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) sample() {
	procs := readTree(s.roots)
	var rss, pss int64
	for _, p := range procs {
		rss += p.rss
		if kb, ok := statusKB(fmt.Sprintf("/proc/%d/smaps_rollup", p.pid), "Pss"); ok {
			pss += kb * 1024
		}
	}
	s.peakRSS = max(s.peakRSS, rss)
	s.peakPSS = max(s.peakPSS, pss)
	s.maxProcs = max(s.maxProcs, len(procs))
	s.samples++
}

// stop ends sampling and returns the case's figures.
func (s *sampler) stop() sampleResult {
	close(s.quit)
	<-s.done
	cpuEnd := treeCPUTicks(s.roots)
	r := sampleResult{
		CPUSec:   float64(cpuEnd-s.cpuStart) / clockTicks,
		PeakRSS:  s.peakRSS,
		PeakPSS:  s.peakPSS,
		MaxProcs: s.maxProcs,
		Samples:  s.samples,
	}
	r.RSSMethod = "peak of sampled summed RSS of the process tree"
	if s.maxProcs == 1 && len(s.roots) == 1 {
		if kb, ok := statusKB(fmt.Sprintf("/proc/%d/status", s.roots[0]), "VmHWM"); ok {
			r.PeakRSS = max(r.PeakRSS, kb*1024)
			if s.hwmReset {
				r.RSSMethod = "VmHWM, reset at case start"
			} else {
				r.RSSMethod = "VmHWM since process start (reset failed)"
			}
		}
	}
	return r
}
