package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// run is the whole harness: parse flags, run every configuration, print the
// report, and write the report and plot files if asked.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	h, err := newHarness(opts, stderr)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := h.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("remove temp dir: %w", cerr))
		}
	}()
	if opts.profileDir != "" {
		if err := os.MkdirAll(opts.profileDir, 0o755); err != nil {
			return fmt.Errorf("create profile dir: %w", err)
		}
	}
	rep := &report{Opts: opts, Started: time.Now(), Machine: collectMachine(ctx, opts)}
	ncases := 0
	for _, key := range opts.configs {
		cfg, _ := lookupConfig(key)
		ncases += len(opts.casesFor(cfg))
	}
	h.logf("%d configuration(s), %d cases in all × 2 systems × %v; temp dir %s", len(opts.configs), ncases, opts.duration, h.root)
	for _, key := range opts.configs {
		cfg, _ := lookupConfig(key)
		rep.Groups = append(rep.Groups, h.runConfig(ctx, cfg))
		if ctx.Err() != nil {
			break
		}
	}
	rep.Took = time.Since(rep.Started)
	rep.Machine.LoadEnd = loadAvg()

	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	if opts.plotPath != "" {
		if err := writePlot(opts.plotPath, opts, rep.Groups); err != nil {
			h.warnf("%v", err)
		} else {
			h.logf("wrote %s", opts.plotPath)
			if opts.writeReport {
				rep.PlotFile = relPlotPath(opts.reportPath, opts.plotPath)
			} else {
				rep.PlotFile = opts.plotPath
			}
		}
	}
	rep.Warnings = h.warnings
	rep.writeMarkdown(stdout)
	if opts.writeReport {
		if err := os.MkdirAll(filepath.Dir(opts.reportPath), 0o755); err != nil {
			return err
		}
		f, err := os.Create(opts.reportPath)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		rep.writeMarkdown(f)
		if err := f.Close(); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		h.logf("wrote %s", opts.reportPath)
	}
	return rep.err()
}

// err reports whether the run is incomplete: a system not measured or a case failed.
func (r *report) err() error {
	var n int
	for _, g := range r.Groups {
		for _, s := range g.Systems {
			if s.Err != "" {
				n++
			}
		}
		for _, row := range g.Rows {
			if row.Err != "" {
				n++
			}
		}
	}
	if n > 0 {
		return fmt.Errorf("%d failure(s); see the report's rows and warnings", n)
	}
	return nil
}
