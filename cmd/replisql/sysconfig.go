package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/session"
)

// autoConfFile holds what ALTER SYSTEM set, as PostgreSQL's
// postgresql.auto.conf does: one `name = 'value'` a line. It is read at
// start-up and at every reload (SIGHUP or pg_reload_conf()). A flag given
// on the command line wins over it, as PostgreSQL's command-line options
// win over its configuration files.
const autoConfFile = "replisql.auto.conf"

// sysConfig keeps the ALTER SYSTEM file of one data directory and
// reloads the engine's cluster settings from it.
type sysConfig struct {
	path string
	log  zerolog.Logger
	// fromFlags are settings given explicitly on the command line.
	fromFlags map[string]string

	mu  sync.Mutex // serializes writes of the file and reloads
	eng *session.Engine
}

func readAutoConf(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		name, value, ok := strings.Cut(l, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want name = 'value'", path, line)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '\'' && value[len(value)-1] == '\'' {
			value = strings.ReplaceAll(value[1:len(value)-1], "''", "'")
		}
		out[strings.ToLower(strings.TrimSpace(name))] = value
	}
	return out, sc.Err()
}

// alter sets (or, with reset, removes) one setting in the file, written
// to a temporary file, fsynced and renamed into place.
func (c *sysConfig) alter(name, value string, reset bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	vals, err := readAutoConf(c.path)
	if err != nil {
		return err
	}
	if reset {
		delete(vals, name)
	} else {
		vals[name] = value
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# Written by ALTER SYSTEM; read at start-up and on reload (SIGHUP, pg_reload_conf()).\n")
	for _, k := range names {
		fmt.Fprintf(&b, "%s = '%s'\n", k, strings.ReplaceAll(vals[k], "'", "''"))
	}
	tmp := c.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, c.path); err != nil {
		return err
	}
	c.log.Info().Str("parameter", name).Str("value", value).Bool("reset", reset).Msg("ALTER SYSTEM: takes effect at the next reload")
	return nil
}

// settings are the cluster settings: the file's, under the flags given.
func (c *sysConfig) settings() (map[string]string, error) {
	vals, err := readAutoConf(c.path)
	if err != nil {
		return nil, err
	}
	for k, v := range c.fromFlags {
		if fv, ok := vals[k]; ok && fv != v {
			c.log.Warn().Str("parameter", k).Str("file", fv).Str("flag", v).Msg("the command line overrides " + autoConfFile)
		}
		vals[k] = v
	}
	return vals, nil
}

// reload reads the file and gives the engine its settings.
func (c *sysConfig) reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	vals, err := c.settings()
	if err != nil {
		c.log.Error().Err(err).Msg("reload: configuration file not applied")
		return err
	}
	changed, err := c.eng.Reload(vals)
	if err != nil {
		c.log.Error().Err(err).Msg("reload: configuration file not applied")
		return err
	}
	for k, v := range changed {
		c.log.Info().Str("parameter", k).Str("value", v).Msg("parameter changed by reload")
	}
	return nil
}

func newSysConfig(dataDir string, fromFlags map[string]string, log zerolog.Logger) *sysConfig {
	return &sysConfig{path: filepath.Join(dataDir, autoConfFile), fromFlags: fromFlags, log: log}
}
