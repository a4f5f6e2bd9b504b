package pgwire

import (
	"bytes"
	"math"
	"sync"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// PostgreSQL keeps dates as int32 days and timestamps as int64
// microseconds since 2000-01-01 (UTC for timestamptz), with the extreme
// values meaning -infinity and infinity.
const (
	pgEpochDays   = 10957 // 2000-01-01 in days since 1970-01-01
	usecPerDay    = 86400 * 1000000
	pgEpochMicros = pgEpochDays * usecPerDay

	// IS_VALID_DATE and IS_VALID_TIMESTAMP bounds: Julian day 0 (4714-11-24
	// BC) up to, not including, 5874898-01-01 and 294277-01-01.
	minDate      int32 = -2451545
	endDate      int32 = 2147483494 - 2451545
	minTimestamp int64 = -211813488000000000
	endTimestamp int64 = 9223371331200000000
)

var (
	errFieldRange = pgerr.New(pgerr.DatetimeFieldOverflow, "date/time field value out of range")
	errDateRange  = pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range")
	errTSRange    = pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range")
	errIntervalOv = pgerr.New("22015", "interval field value out of range")
)

// dateTimeError turns a parser's sentinel into PostgreSQL's message for
// input b of type oid.
func dateTimeError(err error, oid uint32, b []byte) error {
	switch err {
	case errFieldRange:
		return pgerr.New(pgerr.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", b)
	case errDateRange:
		return pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range: \"%s\"", b)
	case errTSRange:
		return pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range: \"%s\"", b)
	case errIntervalOv:
		return pgerr.New("22015", "interval field value out of range: \"%s\"", b)
	}
	if e := pgerr.As(err); e != nil && e != errInvalid {
		return e // already specific, e.g. an unknown time zone
	}
	name := sqlTypeName(oid)
	switch oid { // the spelling in datetime input errors
	case OIDTimestamp:
		name = "timestamp"
	case OIDTime:
		name = "time"
	}
	return pgerr.New(pgerr.InvalidDatetimeFormat, "invalid input syntax for type %s: \"%s\"", name, b)
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic
// Gregorian date (astronomical year: 1 BC is year 0).
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := int64((153*mp+2)/5 + d - 1)
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y int64, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func append2(buf []byte, n int64) []byte {
	return append(buf, byte('0'+n/10%10), byte('0'+n%10))
}

// appendYMD appends "YYYY-MM-DD" and reports whether the year is BC.
func appendYMD(buf []byte, days int64) ([]byte, bool) {
	y, m, d := civilFromDays(days + pgEpochDays)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	if y < 1000 {
		buf = append(buf, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	} else {
		buf = appendUint(buf, uint64(y))
	}
	buf = append(buf, '-')
	buf = append2(buf, int64(m))
	buf = append(buf, '-')
	return append2(buf, int64(d)), bc
}

func appendUint(buf []byte, n uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(buf, tmp[i:]...)
}

// appendDate is date_out with DateStyle ISO.
func appendDate(buf []byte, d int32) []byte {
	switch d {
	case math.MaxInt32:
		return append(buf, "infinity"...)
	case math.MinInt32:
		return append(buf, "-infinity"...)
	}
	buf, bc := appendYMD(buf, int64(d))
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// appendTimeOfDay appends "HH:MM:SS[.ffffff]" for us microseconds after
// midnight (0 <= us <= 24h).
func appendTimeOfDay(buf []byte, us int64) []byte {
	sec := us / 1000000
	buf = append2(buf, sec/3600)
	buf = append(buf, ':')
	buf = append2(buf, sec/60%60)
	buf = append(buf, ':')
	buf = append2(buf, sec%60)
	return appendFraction(buf, us%1000000)
}

// appendFraction appends ".ffffff" without trailing zeros, or nothing for
// 0 <= frac < 1e6 microseconds.
func appendFraction(buf []byte, frac int64) []byte {
	if frac == 0 {
		return buf
	}
	var tmp [7]byte
	tmp[0] = '.'
	n := 7
	for i := 6; i >= 1; i-- {
		tmp[i] = byte('0' + frac%10)
		frac /= 10
	}
	for tmp[n-1] == '0' {
		n--
	}
	return append(buf, tmp[:n]...)
}

// appendTimestamp is timestamp_out / timestamptz_out with DateStyle ISO
// and TimeZone UTC.
func appendTimestamp(buf []byte, us int64, tz bool) []byte {
	switch us {
	case math.MaxInt64:
		return append(buf, "infinity"...)
	case math.MinInt64:
		return append(buf, "-infinity"...)
	}
	days := us / usecPerDay
	rem := us % usecPerDay
	if rem < 0 {
		days--
		rem += usecPerDay
	}
	buf, bc := appendYMD(buf, days)
	buf = append(buf, ' ')
	buf = appendTimeOfDay(buf, rem)
	if tz {
		buf = append(buf, "+00"...)
	}
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isCanonicalDate reports whether s is exactly appendDate's output for
// an AD date with a four-digit year.
func isCanonicalDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-' &&
		isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3]) &&
		isDigit(s[5]) && isDigit(s[6]) && isDigit(s[8]) && isDigit(s[9])
}

// isCanonicalTimestamp reports whether s looks exactly like
// appendTimestamp's output for a four-digit AD year.
func isCanonicalTimestamp(s string, tz bool) bool {
	if tz {
		if len(s) < 22 || s[len(s)-3:] != "+00" {
			return false
		}
		s = s[:len(s)-3]
	}
	if len(s) < 19 || !isCanonicalDate(s[:10]) || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
		!isDigit(s[11]) || !isDigit(s[12]) || !isDigit(s[14]) || !isDigit(s[15]) ||
		!isDigit(s[17]) || !isDigit(s[18]) {
		return false
	}
	if len(s) == 19 {
		return true
	}
	if len(s) < 21 || len(s) > 26 || s[19] != '.' || s[len(s)-1] == '0' {
		return false
	}
	for i := 20; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// timeToPGMicros converts a time.Time: timestamptz takes the instant,
// timestamp the wall clock in t's location.
func timeToPGMicros(t time.Time, tz bool) int64 {
	us := t.UnixMicro()
	if !tz {
		_, off := t.Zone()
		us += int64(off) * 1000000
	}
	return us - pgEpochMicros
}

// dtFields is what parseDateTime found.
type dtFields struct {
	year       int64 // astronomical
	month, day int
	hasTime    bool
	usec       int64 // time of day
	hasZone    bool
	zoneSec    int64 // seconds east of UTC; zoneLoc when named
	zoneLoc    *time.Location
	special    int8 // +1 infinity, -1 -infinity
}

// scanner walks ASCII input.
type scanner[T string | []byte] struct {
	s T
	i int
}

func (p *scanner[T]) eof() bool { return p.i >= len(p.s) }
func (p *scanner[T]) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// digits reads a run of digits; v holds the first max of them and n
// counts them all, so n > max means "too many".
func (p *scanner[T]) digits(max int) (v int64, n int) {
	for p.i < len(p.s) && isDigit(p.s[p.i]) {
		if n < max {
			v = v*10 + int64(p.s[p.i]-'0')
		}
		n++
		p.i++
	}
	return v, n
}

func (p *scanner[T]) skipSpaces() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

// word reads a run of letters, digits, '/', '_', '+' and '-' starting
// with a letter, lower-cased into dst.
func (p *scanner[T]) word(dst []byte) []byte {
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', isDigit(c), c == '/', c == '_':
		case (c == '+' || c == '-') && len(dst) > 0:
		default:
			return dst
		}
		dst = append(dst, c)
		p.i++
	}
	return dst
}

// parseTimeFields reads "HH:MM[:SS[.ffffff]]" into microseconds.
func parseTimeFields[T string | []byte](p *scanner[T]) (int64, error) {
	h, n := p.digits(2)
	if n == 0 || n > 2 || p.peek() != ':' {
		return 0, errInvalid
	}
	p.i++
	m, n := p.digits(2)
	if n != 2 {
		return 0, errInvalid
	}
	var sec, frac int64
	if p.peek() == ':' {
		p.i++
		var n int
		if sec, n = p.digits(2); n != 2 {
			return 0, errInvalid
		}
		if p.peek() == '.' {
			p.i++
			scale := int64(100000)
			round := false
			nd := 0
			for p.i < len(p.s) && isDigit(p.s[p.i]) {
				d := int64(p.s[p.i] - '0')
				if nd < 6 {
					frac += d * scale
					scale /= 10
				} else if nd == 6 {
					round = d >= 5
				}
				nd++
				p.i++
			}
			if round {
				frac++
			}
		}
	}
	if h > 24 || m > 59 || sec > 60 || (h == 24 && (m != 0 || sec != 0 || frac != 0)) {
		return 0, errFieldRange
	}
	return ((h*60+m)*60+sec)*1000000 + frac, nil
}

var zoneCache sync.Map // lower-case name -> *time.Location

func loadZone(name []byte) (*time.Location, bool) {
	if v, ok := zoneCache.Load(string(name)); ok {
		loc, _ := v.(*time.Location)
		return loc, loc != nil
	}
	// IANA names are case-sensitive in the file system: try the usual
	// capitalization ("america/new_york" -> "America/New_York").
	canon := make([]byte, len(name))
	up := true
	for i, c := range name {
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = c == '/' || c == '_' || c == '-'
		canon[i] = c
	}
	var loc *time.Location
	for _, cand := range []string{string(canon), string(name), upperASCII(string(name))} {
		if l, err := time.LoadLocation(cand); err == nil {
			loc = l
			break
		}
	}
	if zoneCacheSize() < 1000 {
		zoneCache.Store(string(name), loc)
	}
	return loc, loc != nil
}

func zoneCacheSize() int {
	n := 0
	zoneCache.Range(func(_, _ any) bool { n++; return n < 1000 })
	return n
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// parseDateTime reads PostgreSQL date/time input as DateStyle ISO, MDY
// reads it: "YYYY-MM-DD", "YYYYMMDD" or "MM/DD/YYYY", then optionally
// "T" or blanks and "HH:MM[:SS[.f]]", a zone ("Z", "UTC", "+05",
// "-0530", "+05:30", an IANA name) and "BC"/"AD"; or one of infinity,
// -infinity, epoch, now, today, tomorrow, yesterday.
func parseDateTime[T string | []byte](s T) (dtFields, error) {
	var f dtFields
	s = trimSpace(s)
	var lw [16]byte
	if len(s) > 0 && len(s) <= len(lw) && !isDigit(s[0]) {
		w := lw[:0]
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			w = append(w, c)
		}
		now := time.Now().UTC()
		switch string(w) {
		case "infinity", "+infinity":
			f.special = 1
			return f, nil
		case "-infinity":
			f.special = -1
			return f, nil
		case "epoch":
			f.year, f.month, f.day = 1970, 1, 1
			f.hasZone = true
			return f, nil
		case "now":
			f.year, f.month, f.day = civilFromDays(now.Unix() / 86400)
			f.hasTime, f.usec, f.hasZone = true, now.UnixMicro()%usecPerDay, true
			return f, nil
		case "today", "tomorrow", "yesterday":
			d := now.Unix() / 86400
			if w[0] == 't' && w[1] == 'o' && w[2] == 'm' {
				d++
			} else if w[0] == 'y' {
				d--
			}
			f.year, f.month, f.day = civilFromDays(d)
			return f, nil
		}
	}
	p := &scanner[T]{s: s}
	start := p.i
	v1, n1 := p.digits(9)
	if n1 == 0 {
		return f, errInvalid
	}
	switch c := p.peek(); {
	case c == '-':
		p.i++
		m, n := p.digits(2)
		if n == 0 || n > 2 || p.peek() != '-' {
			return f, errInvalid
		}
		p.i++
		d, n := p.digits(2)
		if n == 0 || n > 2 {
			return f, errInvalid
		}
		if n1 > 7 {
			return f, errFieldRange
		}
		f.year, f.month, f.day = v1, int(m), int(d)
	case c == '/':
		p.i++
		d, n := p.digits(2)
		if n == 0 || n > 2 || p.peek() != '/' || n1 > 2 {
			return f, errInvalid
		}
		p.i++
		y, n := p.digits(7)
		if n == 0 || n > 7 {
			return f, errInvalid
		}
		if n <= 2 {
			if y < 70 {
				y += 2000
			} else {
				y += 1900
			}
		}
		f.year, f.month, f.day = y, int(v1), int(d)
	case n1 == 8 && p.i-start == 8:
		f.year, f.month, f.day = v1/10000, int(v1/100%100), int(v1%100)
	default:
		return f, errInvalid
	}
	// Time.
	if c := p.peek(); c == 'T' || c == 't' {
		p.i++
		if !isDigit(p.peek()) {
			return f, errInvalid
		}
	} else {
		p.skipSpaces()
	}
	if isDigit(p.peek()) {
		us, err := parseTimeFields(p)
		if err != nil {
			return f, err
		}
		f.hasTime, f.usec = true, us
	}
	// Zone and era, in any order, separated by blanks.
	bc := false
	for {
		p.skipSpaces()
		if p.eof() {
			break
		}
		switch c := p.peek(); {
		case c == '+' || c == '-':
			if f.hasZone {
				return f, errInvalid
			}
			p.i++
			h, n := p.digits(4)
			var m, sec int64
			switch {
			case n == 4:
				h, m = h/100, h%100
			case n == 1 || n == 2:
				if p.peek() == ':' {
					p.i++
					var nm int
					if m, nm = p.digits(2); nm != 2 {
						return f, errInvalid
					}
					if p.peek() == ':' {
						p.i++
						if sec, nm = p.digits(2); nm != 2 {
							return f, errInvalid
						}
					}
				}
			default:
				return f, errInvalid
			}
			if h > 15 || m > 59 || sec > 59 {
				return f, errFieldRange
			}
			off := h*3600 + m*60 + sec
			if c == '-' {
				off = -off
			}
			f.hasZone, f.zoneSec = true, off
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			var wb [64]byte
			w := p.word(wb[:0])
			if len(w) > 60 {
				return f, errInvalid
			}
			switch string(w) {
			case "bc":
				bc = true
			case "ad":
			case "z", "utc", "gmt", "ut", "zulu":
				if f.hasZone {
					return f, errInvalid
				}
				f.hasZone = true
			default:
				if f.hasZone {
					return f, errInvalid
				}
				if bytes.IndexByte(w, '/') < 0 {
					return f, errInvalid
				}
				loc, ok := loadZone(w)
				if !ok {
					return f, pgerr.New(pgerr.InvalidParameterValue, "time zone \"%s\" not recognized", w)
				}
				f.hasZone, f.zoneLoc = true, loc
			}
		default:
			return f, errInvalid
		}
	}
	if bc {
		if f.year == 0 {
			return f, errFieldRange
		}
		f.year = 1 - f.year
	} else if f.year == 0 {
		return f, errFieldRange
	}
	if f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysInMonth(f.year, f.month) {
		return f, errFieldRange
	}
	return f, nil
}

// parseDate is date_in; a time and zone are accepted and ignored.
func parseDate[T string | []byte](s T) (int32, error) {
	f, err := parseDateTime(s)
	if err != nil {
		return 0, err
	}
	switch f.special {
	case 1:
		return math.MaxInt32, nil
	case -1:
		return math.MinInt32, nil
	}
	d := daysFromCivil(f.year, f.month, f.day) - pgEpochDays
	if d < int64(minDate) || d >= int64(endDate) {
		return 0, errDateRange
	}
	return int32(d), nil
}

// parseTimestamp is timestamp_in (tz false: a zone is ignored) or
// timestamptz_in (tz true: a missing zone means UTC, the session's
// TimeZone).
func parseTimestamp[T string | []byte](s T, tz bool) (int64, error) {
	f, err := parseDateTime(s)
	if err != nil {
		return 0, err
	}
	switch f.special {
	case 1:
		return math.MaxInt64, nil
	case -1:
		return math.MinInt64, nil
	}
	days := daysFromCivil(f.year, f.month, f.day) - pgEpochDays
	if days < minTimestamp/usecPerDay-1 || days > endTimestamp/usecPerDay+1 {
		return 0, errTSRange
	}
	us := days*usecPerDay + f.usec
	if tz && f.hasZone {
		if f.zoneLoc != nil {
			wall := (days+pgEpochDays)*86400 + f.usec/1000000 // wall clock read as UTC
			us -= zoneOffset(f.zoneLoc, wall) * 1000000
		} else {
			us -= f.zoneSec * 1000000
		}
	}
	if us < minTimestamp || us >= endTimestamp {
		return 0, errTSRange
	}
	return us, nil
}

// zoneOffset returns the UTC offset in seconds of wall clock time wall
// (Unix seconds as if the wall clock were UTC) in loc, resolving
// transitions as PostgreSQL does: a time skipped by a spring-forward
// transition takes the offset before it, a time repeated by a fall-back
// transition the offset after it.
func zoneOffset(loc *time.Location, wall int64) int64 {
	offAt := func(unix int64) int64 {
		_, off := time.Unix(unix, 0).In(loc).Zone()
		return int64(off)
	}
	before, after := offAt(wall-86400-14*3600), offAt(wall+86400+14*3600)
	if before == after {
		return offAt(wall - before)
	}
	beforeOK := offAt(wall-before) == before
	afterOK := offAt(wall-after) == after
	switch {
	case beforeOK && !afterOK:
		return before
	case afterOK && !beforeOK:
		return after
	case afterOK: // repeated wall time
		return after
	}
	return before // skipped wall time
}

// parseTimeOfDay is time_in: "HH:MM[:SS[.f]]", or a timestamp whose
// time part is taken; "allballs" is midnight.
func parseTimeOfDay[T string | []byte](s T) (int64, error) {
	t := trimSpace(s)
	if equalFoldASCII(t, "allballs") {
		return 0, nil
	}
	p := &scanner[T]{s: t}
	us, err := parseTimeFields(p)
	if err == nil {
		p.skipSpaces()
		if p.eof() {
			return us, nil
		}
		return 0, errInvalid
	}
	if err == errFieldRange {
		return 0, err
	}
	f, err := parseDateTime(t)
	if err != nil || !f.hasTime {
		return 0, errInvalid
	}
	return f.usec, nil
}
