package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// header is a decoded frame header.
type header struct {
	crc    uint32
	length uint32
	lsn    LSN
	term   uint64
	typ    RecordType
}

func (h header) frameSize() int64 { return HeaderSize + int64(h.length) }

// isZero reports whether every byte of b is zero.
func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// checkHeader decodes and validates the header h of a frame expected at
// LSN at. It checks every field except the CRC, which needs the payload.
// An all-zero header is ErrTornRecord (nothing was written there).
func checkHeader(h []byte, at LSN) (header, error) {
	if len(h) < HeaderSize {
		return header{}, fmt.Errorf("%w: %d header bytes at %s", ErrTornRecord, len(h), at)
	}
	h = h[:HeaderSize]
	if isZero(h) {
		return header{}, fmt.Errorf("%w: zero header at %s", ErrTornRecord, at)
	}
	hd := header{
		crc:    binary.LittleEndian.Uint32(h[offCRC:]),
		length: binary.LittleEndian.Uint32(h[offLength:]),
		lsn:    LSN(binary.LittleEndian.Uint64(h[offLSN:])),
		term:   binary.LittleEndian.Uint64(h[offTerm:]),
		typ:    RecordType(h[offType]),
	}
	switch {
	case hd.lsn != at:
		return hd, fmt.Errorf("%w: header at %s names LSN %s", ErrCorrupt, at, hd.lsn)
	case hd.typ == 0:
		return hd, fmt.Errorf("%w: record type 0 at %s", ErrCorrupt, at)
	case !isZero(h[offReserved:HeaderSize]):
		return hd, fmt.Errorf("%w: reserved header bytes set at %s", ErrCorrupt, at)
	case hd.length > MaxRecordSize:
		return hd, fmt.Errorf("%w: record length %d at %s exceeds %d", ErrCorrupt, hd.length, at, MaxRecordSize)
	}
	return hd, nil
}

// checkCRC verifies the CRC of a frame whose header is h and payload p.
func checkCRC(h []byte, hd header, p []byte) error {
	crc := crc32.Update(0, castagnoli, h[offLength:HeaderSize])
	crc = crc32.Update(crc, castagnoli, p)
	if crc != hd.crc {
		return fmt.Errorf("%w: CRC mismatch for record at %s (stored %08x, computed %08x)", ErrCorrupt, hd.lsn, hd.crc, crc)
	}
	return nil
}

// DecodeRecord decodes the frame at the start of b, which is expected at
// LSN at, and returns the record (its payload copied out of b) and the frame
// size. It returns ErrTornRecord when b ends inside the frame (or the header
// is all zero) and ErrCorrupt when the frame is invalid. It never allocates
// more than len(b) bytes.
func DecodeRecord(b []byte, at LSN) (Record, int, error) {
	hd, err := checkHeader(b, at)
	if err != nil {
		return Record{}, 0, err
	}
	n := hd.frameSize()
	if int64(len(b)) < n {
		return Record{}, 0, fmt.Errorf("%w: record at %s needs %d bytes, have %d", ErrTornRecord, at, n, len(b))
	}
	if err := checkCRC(b, hd, b[HeaderSize:n]); err != nil {
		return Record{}, 0, err
	}
	r := Record{LSN: at, Term: hd.term, Type: hd.typ, Payload: make([]byte, hd.length)}
	copy(r.Payload, b[HeaderSize:n])
	return r, int(n), nil
}

// validFrameAt reports the size of the valid frame at data[off:], where
// data[0] is LSN base, or 0 when there is none.
func validFrameAt(data []byte, off int, base LSN) int64 {
	if len(data)-off < HeaderSize {
		return 0
	}
	// Cheap test first: the LSN field must name this position.
	if LSN(binary.LittleEndian.Uint64(data[off+offLSN:])) != base+LSN(off) {
		return 0
	}
	hd, err := checkHeader(data[off:], base+LSN(off))
	if err != nil {
		return 0
	}
	n := hd.frameSize()
	if int64(len(data)-off) < n {
		return 0
	}
	if checkCRC(data[off:], hd, data[off+HeaderSize:int64(off)+n]) != nil {
		return 0
	}
	return n
}

// scanFrames walks the frames of a whole segment image (data[0] is LSN
// base) from the start, calling fn (if not nil) for each valid one, and
// returns the offset of the first position that holds no valid frame.
func scanFrames(data []byte, base LSN, fn func(off int, hd header)) int {
	off := 0
	for {
		n := validFrameAt(data, off, base)
		if n == 0 {
			return off
		}
		if fn != nil {
			hd, _ := checkHeader(data[off:], base+LSN(off))
			fn(off, hd)
		}
		off += int(n)
	}
}

// findValidFrame returns the offset of the first valid frame at or after
// from in data (data[0] is LSN base), or -1.
func findValidFrame(data []byte, from int, base LSN) int {
	for off := from; off+HeaderSize <= len(data); off++ {
		if validFrameAt(data, off, base) > 0 {
			return off
		}
	}
	return -1
}
