package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// machineInfo describes where and with what the benchmark ran.
type machineInfo struct {
	CPU, Kernel, Memory string
	Cores               int
	LoadStart, LoadEnd  string
	Postgres, Pgbench   string
	Psql, Go            string
	Commit              string
	RepliSQLBin         string
}

func collectMachine(ctx context.Context, o *options) machineInfo {
	m := machineInfo{Cores: runtime.NumCPU(), Go: runtime.Version(), RepliSQLBin: o.replisqlBin}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if kb, ok := statusKB("/proc/meminfo", "MemTotal"); ok {
		m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.LoadStart = loadAvg()
	version := func(argv ...string) string {
		out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).Output()
		if err != nil {
			return "unknown (" + err.Error() + ")"
		}
		return strings.TrimSpace(string(out))
	}
	m.Postgres = version(o.pgBinDir+"/postgres", "--version")
	m.Pgbench = version(o.pgbench, "--version")
	m.Psql = version(o.psql, "--version")
	m.Commit = version("git", "rev-parse", "HEAD")
	if out, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(out) > 0 {
		m.Commit += " (with uncommitted changes)"
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ") + " at " + time.Now().UTC().Format("15:04:05")
}
