package catalog

import "testing"

func TestSetting(t *testing.T) {
	for name, want := range map[string]string{
		// What SHOW prints on a fresh PostgreSQL 15 for these defaults.
		"shared_buffers":             "128MB",
		"work_mem":                   "4MB",
		"checkpoint_timeout":         "5min",
		"autovacuum_naptime":         "1min",
		"max_wal_size":               "1GB",
		"effective_cache_size":       "4GB",
		"wal_writer_delay":           "200ms",
		"fsync":                      "on",
		"wal_level":                  "replica",
		"max_wal_senders":            "10",
		"log_min_duration_statement": "-1",
		"vacuum_cost_delay":          "0",
	} {
		got, ok := Setting(name)
		if !ok || got != want {
			t.Errorf("Setting(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if _, ok := Setting("no_such_setting"); ok {
		t.Error("an unknown setting was found")
	}
}
