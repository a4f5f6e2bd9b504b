package catalog

import (
	"strconv"
	"sync"
)

// Setting returns a PostgreSQL 15 server setting that RepliSQL does not
// manage itself (shared_buffers, wal_level, fsync, ...) as SHOW prints it
// — the default pg_settings records, with an integer in its unit shown
// in the largest unit that divides it (16384 × 8kB is "128MB", 300 s is
// "5min"), as PostgreSQL does — and whether PostgreSQL has such a
// setting.
func Setting(name string) (string, bool) {
	settingsOnce.Do(loadSettings)
	v, ok := showSettings[name]
	return v, ok
}

var (
	settingsOnce sync.Once
	showSettings map[string]string
)

func loadSettings() {
	t := staticTSV("pg_settings")
	showSettings = make(map[string]string, len(t.rows))
	for _, r := range t.rows {
		setting, unit, vartype := r[t.col("setting")], r[t.col("unit")], r[t.col("vartype")]
		showSettings[r[t.col("name")]] = showSetting(setting, unit, vartype)
	}
}

// showSetting formats one pg_settings value as SHOW does.
func showSetting(setting, unit, vartype string) string {
	if unit == `\N` || unit == "" {
		return setting
	}
	n, err := strconv.ParseInt(setting, 10, 64)
	if err != nil || vartype != "integer" {
		if vartype == "real" && setting != "0" {
			return setting + unit
		}
		return setting
	}
	if n <= 0 {
		return setting
	}
	type u struct {
		name string
		size int64
	}
	memory := []u{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"kB", 1 << 10}, {"B", 1}}
	time := []u{{"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}, {"ms", 1}}
	var base int64
	var units []u
	switch unit {
	case "B":
		base, units = 1, memory
	case "kB":
		base, units = 1<<10, memory
	case "8kB":
		base, units = 8<<10, memory
	case "MB":
		base, units = 1<<20, memory
	case "ms":
		base, units = 1, time
	case "s":
		base, units = 1000, time
	case "min":
		base, units = 60000, time
	default:
		return setting + unit
	}
	v := n * base
	for _, x := range units {
		if x.size <= v && v%x.size == 0 {
			return strconv.FormatInt(v/x.size, 10) + x.name
		}
	}
	return setting + unit
}
