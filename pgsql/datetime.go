package pgsql

import (
	"database/sql/driver"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"modernc.org/sqlite"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// interval is a PostgreSQL interval: months, days and microseconds are
// kept apart, as PostgreSQL does (a month is not 30 days, a day is not 24
// hours across DST — here always UTC).
type interval struct {
	months int64
	days   int64
	micros int64
}

var intervalUnits = map[string]struct {
	months, days int64
	micros       float64
}{
	"microsecond": {0, 0, 1}, "microseconds": {0, 0, 1}, "us": {0, 0, 1}, "usec": {0, 0, 1}, "usecs": {0, 0, 1},
	"millisecond": {0, 0, 1e3}, "milliseconds": {0, 0, 1e3}, "ms": {0, 0, 1e3}, "msec": {0, 0, 1e3}, "msecs": {0, 0, 1e3},
	"second": {0, 0, 1e6}, "seconds": {0, 0, 1e6}, "sec": {0, 0, 1e6}, "secs": {0, 0, 1e6}, "s": {0, 0, 1e6},
	"minute": {0, 0, 60e6}, "minutes": {0, 0, 60e6}, "min": {0, 0, 60e6}, "mins": {0, 0, 60e6}, "m": {0, 0, 60e6},
	"hour": {0, 0, 3600e6}, "hours": {0, 0, 3600e6}, "hr": {0, 0, 3600e6}, "hrs": {0, 0, 3600e6}, "h": {0, 0, 3600e6},
	"day": {0, 1, 0}, "days": {0, 1, 0}, "d": {0, 1, 0},
	"week": {0, 7, 0}, "weeks": {0, 7, 0}, "w": {0, 7, 0},
	"month": {1, 0, 0}, "months": {1, 0, 0}, "mon": {1, 0, 0}, "mons": {1, 0, 0},
	"year": {12, 0, 0}, "years": {12, 0, 0}, "yr": {12, 0, 0}, "yrs": {12, 0, 0}, "y": {12, 0, 0},
	"decade": {120, 0, 0}, "decades": {120, 0, 0}, "century": {1200, 0, 0}, "centuries": {1200, 0, 0},
}

// parseInterval parses PostgreSQL's interval input in the postgres style
// ("1 day 2 hours", "-3 mons", "01:02:03.5", "1 year ago").
func parseInterval(s string) (interval, error) {
	var iv interval
	bad := func() (interval, error) {
		return interval{}, pgerr.New(pgerr.InvalidDatetimeFormat, "invalid input syntax for type interval: %q", s)
	}
	f := strings.Fields(strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@")))
	if len(f) == 0 {
		return bad()
	}
	ago := false
	for i := 0; i < len(f); i++ {
		tok := f[i]
		if tok == "ago" {
			ago = true
			continue
		}
		if strings.Contains(tok, ":") {
			neg := strings.HasPrefix(tok, "-")
			tok = strings.TrimLeft(tok, "+-")
			parts := strings.Split(tok, ":")
			if len(parts) < 2 || len(parts) > 3 {
				return bad()
			}
			h, err1 := strconv.ParseInt(parts[0], 10, 64)
			m, err2 := strconv.ParseInt(parts[1], 10, 64)
			if err1 != nil || err2 != nil {
				return bad()
			}
			us := float64(h)*3600e6 + float64(m)*60e6
			if len(parts) == 3 {
				sec, err := strconv.ParseFloat(parts[2], 64)
				if err != nil {
					return bad()
				}
				us += sec * 1e6
			}
			if neg {
				us = -us
			}
			iv.micros += int64(math.Round(us))
			continue
		}
		// number, optionally glued to its unit ("5min")
		j := 0
		for j < len(tok) && (tok[j] == '-' || tok[j] == '+' || tok[j] == '.' || (tok[j] >= '0' && tok[j] <= '9')) {
			j++
		}
		num, unit := tok[:j], tok[j:]
		if num == "" {
			return bad()
		}
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return bad()
		}
		if unit == "" {
			if i+1 < len(f) {
				if _, ok := intervalUnits[f[i+1]]; ok {
					i++
					unit = f[i]
				}
			}
			if unit == "" {
				unit = "second"
			}
		}
		u, ok := intervalUnits[unit]
		if !ok {
			return bad()
		}
		whole, frac := math.Modf(n)
		iv.months += int64(whole) * u.months
		iv.days += int64(whole) * u.days
		iv.micros += int64(math.Round(n * u.micros))
		// Fractions of months and days spill into smaller units, as
		// PostgreSQL does (0.5 month = 15 days).
		if frac != 0 && u.months != 0 {
			d := frac * float64(u.months) * 30
			iv.days += int64(d)
			iv.micros += int64(math.Round((d - math.Trunc(d)) * 86400e6))
		}
		if frac != 0 && u.days != 0 {
			iv.micros += int64(math.Round(frac * float64(u.days) * 86400e6))
		}
	}
	if ago {
		iv = interval{-iv.months, -iv.days, -iv.micros}
	}
	return iv, nil
}

// String renders the interval in PostgreSQL's default output style.
func (iv interval) String() string {
	var parts []string
	plural := func(n int64, unit string) string {
		s := strconv.FormatInt(n, 10) + " " + unit
		if n != 1 && n != -1 {
			s += "s"
		}
		return s
	}
	if y := iv.months / 12; y != 0 {
		parts = append(parts, plural(y, "year"))
	}
	if m := iv.months % 12; m != 0 {
		parts = append(parts, plural(m, "mon"))
	}
	if iv.days != 0 {
		parts = append(parts, plural(iv.days, "day"))
	}
	if iv.micros != 0 || len(parts) == 0 {
		us := iv.micros
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		h := us / 3600e6
		m := us / 60e6 % 60
		sec := us % 60e6
		s := sign + pad2(h) + ":" + pad2(m) + ":" + pad2(sec/1e6)
		if f := sec % 1e6; f != 0 {
			s += strings.TrimRight("."+strconv.FormatInt(1e6+f, 10)[1:], "0")
		}
		if iv.micros != 0 || len(parts) == 0 {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// addMonths adds months the way PostgreSQL does: the day of month is
// clamped to the last day of the resulting month.
func addMonths(t time.Time, months int64) time.Time {
	if months == 0 {
		return t
	}
	y, m, d := t.Date()
	total := int64(y)*12 + int64(m-1) + months
	ny, nm := int(total/12), time.Month(total%12+1)
	last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d > last {
		d = last
	}
	return time.Date(ny, nm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

func parseStored(v driver.Value, oid uint32) (time.Time, bool, error) {
	s, ok := argText(v)
	if !ok {
		if tt, ok := v.(time.Time); ok {
			return tt.UTC(), true, nil
		}
		return time.Time{}, false, nil
	}
	t, _, err := parseTimestamp(s, typname(oid))
	if err != nil {
		return time.Time{}, false, err
	}
	return t.UTC(), true, nil
}

func formatAs(t time.Time, oid uint32) string {
	switch oid {
	case OIDTimestamptz:
		return FormatTimestamptz(t)
	case OIDDate:
		return t.Format("2006-01-02")
	}
	return formatTS(t)
}

// truncTime implements date_trunc.
func truncTime(field string, t time.Time) (time.Time, error) {
	y, mo, d := t.Date()
	switch field {
	case "microseconds":
		return t.Truncate(time.Microsecond), nil
	case "milliseconds":
		return t.Truncate(time.Millisecond), nil
	case "second":
		return t.Truncate(time.Second), nil
	case "minute":
		return t.Truncate(time.Minute), nil
	case "hour":
		return time.Date(y, mo, d, t.Hour(), 0, 0, 0, time.UTC), nil
	case "day":
		return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC), nil
	case "week":
		wd := (int(t.Weekday()) + 6) % 7
		return time.Date(y, mo, d-wd, 0, 0, 0, 0, time.UTC), nil
	case "month":
		return time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC), nil
	case "quarter":
		return time.Date(y, (mo-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC), nil
	case "year":
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), nil
	case "decade":
		return time.Date(y/10*10, 1, 1, 0, 0, 0, 0, time.UTC), nil
	case "century":
		return time.Date((y-1)/100*100+1, 1, 1, 0, 0, 0, 0, time.UTC), nil
	case "millennium":
		return time.Date((y-1)/1000*1000+1, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	return time.Time{}, pgerr.New(pgerr.InvalidParameterValue, "unit %q not recognized for type timestamp", field)
}

// extractField implements extract/date_part.
func extractField(field string, t time.Time) (float64, error) {
	us := float64(t.Nanosecond()/1000) / 1e6
	switch field {
	case "epoch":
		return float64(t.Unix()) + us, nil
	case "year":
		return float64(t.Year()), nil
	case "month":
		return float64(t.Month()), nil
	case "day":
		return float64(t.Day()), nil
	case "hour":
		return float64(t.Hour()), nil
	case "minute":
		return float64(t.Minute()), nil
	case "second":
		return float64(t.Second()) + us, nil
	case "milliseconds":
		return (float64(t.Second()) + us) * 1e3, nil
	case "microseconds":
		return math.Round((float64(t.Second()) + us) * 1e6), nil
	case "dow":
		return float64(t.Weekday()), nil
	case "isodow":
		return float64((int(t.Weekday())+6)%7 + 1), nil
	case "doy":
		return float64(t.YearDay()), nil
	case "quarter":
		return float64((int(t.Month())-1)/3 + 1), nil
	case "week":
		_, w := t.ISOWeek()
		return float64(w), nil
	case "isoyear":
		y, _ := t.ISOWeek()
		return float64(y), nil
	case "decade":
		return float64(t.Year() / 10), nil
	case "century":
		return float64((t.Year()-1)/100 + 1), nil
	case "millennium":
		return float64((t.Year()-1)/1000 + 1), nil
	case "timezone", "timezone_hour", "timezone_minute":
		return 0, nil
	}
	return 0, pgerr.New(pgerr.InvalidParameterValue, "unit %q not recognized for type timestamp", field)
}

func numberValue(f float64) driver.Value {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return f
}

var datetimeFuncs = map[string]sqliteFunc{
	"pg_to_char": {3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		f, ok := argText(a[1])
		t, ok2, err := parseStored(a[0], uint32(argInt(a[2])))
		if err != nil || !ok || !ok2 {
			return nil, err
		}
		return toChar(t, f), nil
	}},
	"pg_ts_add": {5, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		oid := uint32(argInt(a[4]))
		t, ok, err := parseStored(a[0], oid)
		if err != nil || !ok {
			return nil, err
		}
		t = addMonths(t, argInt(a[1]))
		t = t.AddDate(0, 0, int(argInt(a[2])))
		t = t.Add(time.Duration(argInt(a[3])) * time.Microsecond)
		return formatAs(t, oid), nil
	}},
	"pg_date_add": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		t, ok, err := parseStored(a[0], OIDDate)
		if err != nil || !ok || a[1] == nil {
			return nil, err
		}
		return t.AddDate(0, 0, int(argInt(a[1]))).Format("2006-01-02"), nil
	}},
	"pg_date_diff": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		x, ok1, err := parseStored(a[0], OIDDate)
		if err != nil {
			return nil, err
		}
		y, ok2, err := parseStored(a[1], OIDDate)
		if err != nil || !ok1 || !ok2 {
			return nil, err
		}
		return int64(math.Round(x.Sub(y).Hours() / 24)), nil
	}},
	"pg_date_trunc": {3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		field, ok := argText(a[0])
		oid := uint32(argInt(a[2]))
		t, ok2, err := parseStored(a[1], oid)
		if err != nil || !ok || !ok2 {
			return nil, err
		}
		r, err := truncTime(strings.ToLower(field), t)
		if err != nil {
			return nil, err
		}
		if oid == OIDDate {
			oid = OIDTimestamptz
		}
		return formatAs(r, oid), nil
	}},
	"pg_extract": {3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		field, ok := argText(a[0])
		t, ok2, err := parseStored(a[1], uint32(argInt(a[2])))
		if err != nil || !ok || !ok2 {
			return nil, err
		}
		f, err := extractField(strings.ToLower(field), t)
		if err != nil {
			return nil, err
		}
		return numberValue(f), nil
	}},
}

// toChar formats t with a PostgreSQL to_char template (the date/time
// patterns; numeric templates are not supported).
func toChar(t time.Time, f string) string {
	var b strings.Builder
	fm := false
	pad := func(s string, n int) string {
		if fm {
			return strings.TrimLeft(s, "0")
		}
		for len(s) < n {
			s = "0" + s
		}
		return s
	}
	num := func(v, n int) string {
		s := pad(strconv.Itoa(v), n)
		if s == "" {
			return "0"
		}
		return s
	}
	word := func(w string, n int, up, low bool) string {
		if up {
			w = strings.ToUpper(w)
		} else if low {
			w = strings.ToLower(w)
		}
		if !fm {
			for len(w) < n {
				w += " "
			}
		}
		return w
	}
	for i := 0; i < len(f); {
		rest := f[i:]
		has := func(p string) bool { return strings.HasPrefix(rest, p) }
		switch {
		case has("FM"):
			fm = true
			i += 2
			continue
		case has(`"`):
			j := strings.IndexByte(rest[1:], '"')
			if j < 0 {
				b.WriteString(rest[1:])
				i = len(f)
			} else {
				b.WriteString(rest[1 : j+1])
				i += j + 2
			}
		case has("YYYY"):
			b.WriteString(num(t.Year(), 4))
			i += 4
		case has("YY"):
			b.WriteString(num(t.Year()%100, 2))
			i += 2
		case has("MONTH"), has("Month"), has("month"):
			b.WriteString(word(t.Month().String(), 9, has("MONTH"), has("month")))
			i += 5
		case has("MON"), has("Mon"), has("mon"):
			b.WriteString(word(t.Month().String()[:3], 3, has("MON"), has("mon")))
			i += 3
		case has("MM"):
			b.WriteString(num(int(t.Month()), 2))
			i += 2
		case has("MI"):
			b.WriteString(num(t.Minute(), 2))
			i += 2
		case has("MS"):
			b.WriteString(num(t.Nanosecond()/1e6, 3))
			i += 2
		case has("US"):
			b.WriteString(num(t.Nanosecond()/1e3, 6))
			i += 2
		case has("DAY"), has("Day"), has("day"):
			b.WriteString(word(t.Weekday().String(), 9, has("DAY"), has("day")))
			i += 3
		case has("DY"), has("Dy"), has("dy"):
			b.WriteString(word(t.Weekday().String()[:3], 3, has("DY"), has("dy")))
			i += 2
		case has("DDD"):
			b.WriteString(num(t.YearDay(), 3))
			i += 3
		case has("DD"):
			b.WriteString(num(t.Day(), 2))
			i += 2
		case has("ID"):
			b.WriteString(strconv.Itoa((int(t.Weekday())+6)%7 + 1))
			i += 2
		case has("D"):
			b.WriteString(strconv.Itoa(int(t.Weekday()) + 1))
			i++
		case has("HH24"):
			b.WriteString(num(t.Hour(), 2))
			i += 4
		case has("HH12"), has("HH"):
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(num(h, 2))
			if has("HH12") {
				i += 4
			} else {
				i += 2
			}
		case has("SS"):
			b.WriteString(num(t.Second(), 2))
			i += 2
		case has("AM"), has("PM"), has("am"), has("pm"):
			m := "AM"
			if t.Hour() >= 12 {
				m = "PM"
			}
			if rest[0] >= 'a' {
				m = strings.ToLower(m)
			}
			b.WriteString(m)
			i += 2
		case has("IW"):
			_, w := t.ISOWeek()
			b.WriteString(num(w, 2))
			i += 2
		case has("Q"):
			b.WriteString(strconv.Itoa((int(t.Month())-1)/3 + 1))
			i++
		case has("TZ"), has("tz"):
			b.WriteString("UTC")
			i += 2
		default:
			r, w := utf8.DecodeRuneInString(rest)
			b.WriteRune(r)
			i += w
		}
	}
	return b.String()
}
