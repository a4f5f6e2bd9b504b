package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// Entry is one frame position reported by Scan.
type Entry struct {
	Segment string // segment file name
	LSN     LSN
	Term    uint64
	Type    RecordType
	Length  uint32 // payload length as stored
	// CRCOK is false for the first position of a segment that holds no
	// valid frame but non-zero bytes (a torn tail or corruption); Err says
	// why, and the scan goes on with the next segment. The other fields
	// are then decoded from the bad header, as stored.
	CRCOK bool
	Err   error
	// Payload aliases the segment image: valid only during the callback.
	Payload []byte
}

// Scan reads the log in dir without changing anything (no recovery) and
// calls fn for every frame, in LSN order. A nil fsys is OSFS. It is meant for
// offline tools such as "replisql wal dump", which decode payloads
// themselves. An error from fn stops the scan and is returned.
func Scan(fsys FS, dir string, fn func(Entry) error) error {
	if fsys == nil {
		fsys = OSFS{}
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("wal: read directory %q: %w", dir, err)
	}
	var bases []LSN
	for _, e := range entries {
		if base, ok := parseSegmentName(e.Name()); ok {
			bases = append(bases, base)
		}
	}
	slices.Sort(bases)
	for _, base := range bases {
		if err := scanSegmentFile(fsys, dir, base, fn); err != nil {
			return err
		}
	}
	return nil
}

func scanSegmentFile(fsys FS, dir string, base LSN, fn func(Entry) error) error {
	name := segmentName(base)
	f, size, err := openReadOnly(fsys, filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	data := make([]byte, size)
	if err := readFull(f, data, 0); err != nil {
		return fmt.Errorf("wal: read %s: %w", name, err)
	}
	var ferr error
	p := scanFrames(data, base, func(off int, hd header) {
		if ferr != nil {
			return
		}
		ferr = fn(Entry{
			Segment: name, LSN: hd.lsn, Term: hd.term, Type: hd.typ, Length: hd.length, CRCOK: true,
			Payload: data[off+HeaderSize : int64(off)+hd.frameSize()],
		})
	})
	if ferr != nil {
		return ferr
	}
	if isZero(data[p:]) {
		return nil
	}
	e := Entry{Segment: name, LSN: base + LSN(p), Err: errors.New("non-zero bytes after the last record")}
	if _, _, err := DecodeRecord(data[p:], e.LSN); err != nil {
		e.Err = err
	}
	if h := data[p:]; len(h) >= HeaderSize {
		e.Length = binary.LittleEndian.Uint32(h[offLength:])
		e.Term = binary.LittleEndian.Uint64(h[offTerm:])
		e.Type = RecordType(h[offType])
	}
	return fn(e)
}

func openReadOnly(fsys FS, path string) (File, int64, error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("wal: open %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, fmt.Errorf("wal: stat %s: %w", path, err)
	}
	return f, fi.Size(), nil
}

// Dump writes one line per frame of the log in dir to out:
//
//	segment 0000000001000000.wal
//	lsn=0/1000000 end=0/1000045 term=1 type=2 len=37 crc=ok
//	lsn=0/1000045 term=1 type=0 len=0 crc=BAD err="wal: torn record: ..."
func Dump(out io.Writer, fsys FS, dir string) error {
	seg := ""
	return Scan(fsys, dir, func(e Entry) error {
		if e.Segment != seg {
			seg = e.Segment
			if _, err := fmt.Fprintf(out, "segment %s\n", seg); err != nil {
				return err
			}
		}
		var err error
		if e.CRCOK {
			_, err = fmt.Fprintf(out, "lsn=%s end=%s term=%d type=%d len=%d crc=ok\n",
				e.LSN, EndOf(e.LSN, int(e.Length)), e.Term, e.Type, e.Length)
		} else {
			_, err = fmt.Fprintf(out, "lsn=%s term=%d type=%d len=%d crc=BAD err=%q\n",
				e.LSN, e.Term, e.Type, e.Length, e.Err.Error())
		}
		return err
	})
}
