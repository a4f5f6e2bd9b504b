package wal

import (
	"fmt"
	"strconv"
	"strings"
)

// LSN is a byte position in the log stream (see the package doc).
type LSN uint64

// InvalidLSN never names a record.
const InvalidLSN LSN = 0

// DefaultStartLSN is the LSN of the first record of a new log, as in a new
// PostgreSQL cluster.
const DefaultStartLSN LSN = 0x1000000

// String prints the LSN as PostgreSQL does: "0/16B3748".
func (l LSN) String() string {
	return fmt.Sprintf("%X/%X", uint32(l>>32), uint32(l))
}

// ParseLSN parses the form String prints ("0/16B3748"); hex digits may be
// of either case.
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("%w: parse %q", ErrInvalidLSN, s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: parse %q", ErrInvalidLSN, s)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: parse %q", ErrInvalidLSN, s)
	}
	return LSN(h<<32 | l), nil
}
