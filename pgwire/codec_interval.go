package pgwire

import "math"

// interval is PostgreSQL's Interval; its binary form is usec (int64),
// days (int32), months (int32), big-endian, in that order.
type interval struct {
	usec   int64
	days   int32
	months int32
}

// appendInterval is interval_out with IntervalStyle postgres:
// "1 year 2 mons -3 days +04:05:06.5".
func appendInterval(buf []byte, iv interval) []byte {
	isZero, isBefore := true, false
	buf = appendIntervalPart(buf, int64(iv.months/12), "year", &isZero, &isBefore)
	buf = appendIntervalPart(buf, int64(iv.months%12), "mon", &isZero, &isBefore)
	buf = appendIntervalPart(buf, int64(iv.days), "day", &isZero, &isBefore)
	t := iv.usec
	hour := t / 3600000000
	t -= hour * 3600000000
	min := t / 60000000
	t -= min * 60000000
	sec := t / 1000000
	fsec := t - sec*1000000
	if isZero || hour != 0 || min != 0 || sec != 0 || fsec != 0 {
		if !isZero {
			buf = append(buf, ' ')
		}
		if hour < 0 || min < 0 || sec < 0 || fsec < 0 {
			buf = append(buf, '-')
		} else if isBefore {
			buf = append(buf, '+')
		}
		h := uint64(hour)
		if hour < 0 {
			h = uint64(-hour)
		}
		if h < 10 {
			buf = append(buf, '0')
		}
		buf = appendUint(buf, h)
		buf = append(buf, ':')
		buf = append2(buf, abs64(min))
		buf = append(buf, ':')
		buf = append2(buf, abs64(sec))
		buf = appendFraction(buf, abs64(fsec))
	}
	return buf
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// appendIntervalPart is PostgreSQL's AddPostgresIntPart.
func appendIntervalPart(buf []byte, v int64, unit string, isZero, isBefore *bool) []byte {
	if v == 0 {
		return buf
	}
	if !*isZero {
		buf = append(buf, ' ')
	}
	if *isBefore && v > 0 {
		buf = append(buf, '+')
	}
	if v < 0 {
		buf = append(buf, '-')
		buf = appendUint(buf, uint64(-v))
	} else {
		buf = appendUint(buf, uint64(v))
	}
	buf = append(buf, ' ')
	buf = append(buf, unit...)
	if v != 1 {
		buf = append(buf, 's')
	}
	*isBefore = v < 0
	*isZero = false
	return buf
}

type intervalUnit uint8

const (
	unitNone intervalUnit = iota
	unitMicro
	unitMilli
	unitSecond
	unitMinute
	unitHour
	unitDay
	unitWeek
	unitMonth
	unitYear
	unitDecade
	unitCentury
	unitMillennium
)

var intervalUnits = map[string]intervalUnit{
	"microsecond": unitMicro, "microseconds": unitMicro, "us": unitMicro, "usec": unitMicro, "usecs": unitMicro, "useconds": unitMicro,
	"millisecond": unitMilli, "milliseconds": unitMilli, "ms": unitMilli, "msec": unitMilli, "msecs": unitMilli, "mseconds": unitMilli,
	"second": unitSecond, "seconds": unitSecond, "s": unitSecond, "sec": unitSecond, "secs": unitSecond,
	"minute": unitMinute, "minutes": unitMinute, "m": unitMinute, "min": unitMinute, "mins": unitMinute,
	"hour": unitHour, "hours": unitHour, "h": unitHour, "hr": unitHour, "hrs": unitHour,
	"day": unitDay, "days": unitDay, "d": unitDay,
	"week": unitWeek, "weeks": unitWeek, "w": unitWeek,
	"month": unitMonth, "months": unitMonth, "mon": unitMonth, "mons": unitMonth,
	"year": unitYear, "years": unitYear, "y": unitYear, "yr": unitYear, "yrs": unitYear,
	"decade": unitDecade, "decades": unitDecade, "dec": unitDecade, "decs": unitDecade,
	"century": unitCentury, "centuries": unitCentury, "c": unitCentury, "cent": unitCentury,
	"millennium": unitMillennium, "millennia": unitMillennium, "mil": unitMillennium, "mils": unitMillennium,
}

// intervalAcc accumulates an interval being parsed, with overflow
// checks.
type intervalAcc struct {
	months, days, usec int64
	overflow           bool
}

func (a *intervalAcc) add(dst *int64, v int64) {
	sum := *dst + v
	if (v > 0 && sum < *dst) || (v < 0 && sum > *dst) {
		a.overflow = true
		return
	}
	*dst = sum
}

func (a *intervalAcc) mul(v, by int64) int64 {
	p := v * by
	if by != 0 && (p/by != v || (v == -1 && by == math.MinInt64)) {
		a.overflow = true
		return 0
	}
	return p
}

// apply adds sign*(ip+fp) units; 0 <= fp < 1.
func (a *intervalAcc) apply(u intervalUnit, sign, ip int64, fp float64) {
	ip *= sign
	fp *= float64(sign)
	usecUnit := int64(0)
	switch u {
	case unitMicro:
		usecUnit = 1
	case unitMilli:
		usecUnit = 1000
	case unitSecond:
		usecUnit = 1000000
	case unitMinute:
		usecUnit = 60000000
	case unitHour:
		usecUnit = 3600000000
	case unitDay:
		a.add(&a.days, ip)
		a.add(&a.usec, int64(math.Round(fp*usecPerDay)))
	case unitWeek:
		a.add(&a.days, a.mul(ip, 7))
		fd := fp * 7
		a.add(&a.days, int64(fd))
		a.add(&a.usec, int64(math.Round((fd-math.Trunc(fd))*usecPerDay)))
	case unitMonth:
		a.add(&a.months, ip)
		fd := fp * 30
		a.add(&a.days, int64(fd))
		a.add(&a.usec, int64(math.Round((fd-math.Trunc(fd))*usecPerDay)))
	case unitYear, unitDecade, unitCentury, unitMillennium:
		per := int64(12)
		switch u {
		case unitDecade:
			per = 120
		case unitCentury:
			per = 1200
		case unitMillennium:
			per = 12000
		}
		a.add(&a.months, a.mul(ip, per))
		a.add(&a.months, int64(math.Round(fp*float64(per))))
	}
	if usecUnit != 0 {
		a.add(&a.usec, a.mul(ip, usecUnit))
		a.add(&a.usec, int64(math.Round(fp*float64(usecUnit))))
	}
}

// number reads digits[.digits] into an integer and a fraction.
func (p *scanner[T]) number() (ip int64, fp float64, ok, overflow bool) {
	v, n := p.digits(18)
	if n > 18 {
		overflow = true
	}
	nf := 0
	if p.peek() == '.' {
		p.i++
		scale := 0.1
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			fp += float64(p.s[p.i]-'0') * scale
			scale /= 10
			p.i++
			nf++
		}
	}
	return v, fp, n+nf > 0, overflow
}

// parseInterval reads interval input: PostgreSQL's verbose form
// ("@ 1 year 2 mons -3 days 04:05:06.5 ago", units spelled as
// PostgreSQL accepts them, fractions of units), a bare number of
// seconds, or ISO 8601 ("P1Y2M3DT4H5M6.5S").
func parseInterval[T string | []byte](s T) (interval, error) {
	s = trimSpace(s)
	if len(s) == 0 {
		return interval{}, errInvalid
	}
	var a intervalAcc
	p := &scanner[T]{s: s}
	if s[0] == 'P' || s[0] == 'p' {
		p.i++
		inTime := false
		for !p.eof() {
			c := p.peek()
			if c == 'T' || c == 't' {
				if inTime {
					return interval{}, errInvalid
				}
				inTime = true
				p.i++
				continue
			}
			sign := int64(1)
			if c == '+' || c == '-' {
				if c == '-' {
					sign = -1
				}
				p.i++
			}
			ip, fp, ok, ov := p.number()
			if !ok || p.eof() {
				return interval{}, errInvalid
			}
			if ov {
				return interval{}, errIntervalOv
			}
			d := p.peek() | 0x20
			p.i++
			var u intervalUnit
			switch {
			case d == 'y' && !inTime:
				u = unitYear
			case d == 'm' && !inTime:
				u = unitMonth
			case d == 'w' && !inTime:
				u = unitWeek
			case d == 'd' && !inTime:
				u = unitDay
			case d == 'h' && inTime:
				u = unitHour
			case d == 'm' && inTime:
				u = unitMinute
			case d == 's' && inTime:
				u = unitSecond
			default:
				return interval{}, errInvalid
			}
			a.apply(u, sign, ip, fp)
		}
		return a.result()
	}
	if p.peek() == '@' {
		p.i++
	}
	ago, seen := false, false
	for {
		p.skipSpaces()
		if p.eof() {
			break
		}
		c := p.peek()
		if c|0x20 >= 'a' && c|0x20 <= 'z' {
			var wb [16]byte
			if w := p.word(wb[:0]); string(w) == "ago" && !ago {
				ago = true
				continue
			}
			return interval{}, errInvalid
		}
		sign := int64(1)
		if c == '+' || c == '-' {
			if c == '-' {
				sign = -1
			}
			p.i++
		}
		save := p.i
		_, n := p.digits(64)
		if n > 0 && p.peek() == ':' {
			p.i = save
			if err := parseIntervalTime(p, &a, sign); err != nil {
				return interval{}, err
			}
			seen = true
			continue
		}
		p.i = save
		ip, fp, ok, ov := p.number()
		if !ok {
			return interval{}, errInvalid
		}
		if ov {
			return interval{}, errIntervalOv
		}
		p.skipSpaces()
		u := unitSecond
		if c := p.peek() | 0x20; c >= 'a' && c <= 'z' {
			var wb [16]byte
			w := p.word(wb[:0])
			var known bool
			if u, known = intervalUnits[string(w)]; !known {
				return interval{}, errInvalid
			}
		} else if !p.eof() {
			return interval{}, errInvalid
		}
		a.apply(u, sign, ip, fp)
		seen = true
	}
	if !seen {
		return interval{}, errInvalid
	}
	if ago {
		a.months, a.days, a.usec = -a.months, -a.days, -a.usec
	}
	return a.result()
}

// parseIntervalTime reads "H+:MM[:SS[.f]]" (hours unbounded) and adds
// it, times sign, to a.
func parseIntervalTime[T string | []byte](p *scanner[T], a *intervalAcc, sign int64) error {
	h, n := p.digits(12)
	if n == 0 || n > 12 || p.peek() != ':' {
		return errIntervalOv
	}
	p.i++
	m, n := p.digits(2)
	if n == 0 || n > 2 {
		return errInvalid
	}
	var sec int64
	var fp float64
	if p.peek() == ':' {
		p.i++
		var ok, ov bool
		var ip int64
		if ip, fp, ok, ov = p.number(); !ok || ov || ip > 59 {
			return errFieldRange
		}
		sec = ip
	}
	if m > 59 {
		return errFieldRange
	}
	a.add(&a.usec, a.mul(sign*h, 3600000000))
	a.add(&a.usec, sign*(m*60+sec)*1000000)
	a.add(&a.usec, sign*int64(math.Round(fp*1e6)))
	return nil
}

func (a *intervalAcc) result() (interval, error) {
	if a.overflow || a.months > math.MaxInt32 || a.months < math.MinInt32 ||
		a.days > math.MaxInt32 || a.days < math.MinInt32 {
		return interval{}, errIntervalOv
	}
	return interval{usec: a.usec, days: int32(a.days), months: int32(a.months)}, nil
}
