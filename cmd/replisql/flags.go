package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// envName is the environment variable of a flag: data-dir → REPLISQL_DATA_DIR.
func envName(flagName string) string {
	return "REPLISQL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses args after applying REPLISQL_* environment values as
// defaults; flags on the command line win.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var errs []string
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", envName(f.Name), v, err))
			}
		}
	})
	if len(errs) > 0 {
		return usageError{"bad environment: " + strings.Join(errs, "; ")}
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: replisql %s [flags]\n\nEvery flag can also be set as REPLISQL_<FLAG> (e.g. REPLISQL_DATA_DIR).\n\n", fs.Name())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected arguments: %v", fs.Args())}
	}
	return nil
}
