// Package wal is RepliSQL's write-ahead log: an append-only sequence of
// records, each carrying an opaque payload, the term of the leader that
// wrote it and a one-byte type. The package knows nothing of SQL.
//
// # Positions
//
// An LSN is a byte position in the log stream. The log stream is the
// concatenation of the frames of all records ever appended, starting at the
// log's start LSN (DefaultStartLSN, 0/1000000, for a new log; Options.StartLSN
// for a log created from a snapshot). Segment boundaries, preallocated space
// and segment size take NO room in the stream, so:
//
//   - The LSN of a record is the start LSN plus the sum of the frame sizes
//     of the records before it, and its end LSN is its LSN plus its frame
//     size (HeaderSize + payload length). Two logs that start at the same LSN
//     and append the same records (payload, term, type) in the same order
//     assign the same LSNs, whatever their segment sizes. A follower MUST
//     use AppendAt with the LSN the leader assigned; AppendAt fails with
//     ErrLSNMismatch when that LSN is not the follower's end LSN.
//   - LSN 0/0 (InvalidLSN) never names a record.
//   - LSNs print as PostgreSQL prints them: high 32 bits in upper-case hex,
//     '/', low 32 bits in upper-case hex ("0/16B3748").
//
// # Segment files
//
// The log lives in one directory as segment files named by the LSN of their
// first byte: sixteen upper-case hex digits and ".wal", for example
// "0000000001000000.wal". Byte i of a segment file is LSN base+i. A segment
// file is created full size (Options.SegmentSize, default 16 MiB) and filled
// with zeros before it gets its final name (write "<name>.tmp", fsync,
// rename, fsync the directory), so appending never changes a file's size.
// A background goroutine keeps one such file ready as "spare-<n>.wal.tmp",
// so that a rollover usually costs a rename and a directory fsync rather
// than writing a segment while appenders wait (Options.NoPreallocate turns
// it off).
//
// A record NEVER spans two segment files. When the next frame does not fit
// in the space left in the last segment, a new segment is created whose name
// is the current end LSN; the unused space at the end of the previous
// segment stays zero and belongs to no LSN. A frame larger than
// Options.SegmentSize gets a segment of its own, sized to the frame rounded
// up to 4 KiB (a 50 MB record makes one 50 MB segment). Consequently:
//
//   - every segment file starts at a record boundary;
//   - the data of segment i ends exactly where segment i+1 starts (its name);
//   - the bytes of a segment after its last record are all zero;
//   - a segment's capacity is its file size, so segments of different
//     sizes (an old SegmentSize, a grown segment) coexist.
//
// Files named "*.wal.tmp" are unfinished or spare segments and are removed
// by Open.
// Files named "<segment>.corrupt-<LSN>" hold bytes that recovery cut off;
// the package never reads them again.
//
// # Record frame
//
// All integers are little endian. A frame is a 32-byte header followed by
// the payload; frames follow each other with no padding.
//
//	offset size field
//	0      4    CRC32C (Castagnoli) of bytes 4..31 of the header followed by
//	            the payload
//	4      4    payload length N; at most MaxRecordSize (1 GiB)
//	8      8    LSN of this record (the LSN of header byte 0)
//	16     8    term of the leader that wrote the record
//	24     1    record type, 1..255 (0 is invalid; the meaning belongs to the
//	            caller)
//	25     7    reserved, MUST be zero
//	32     N    payload
//
// A header is valid when its LSN field equals its position, its type is not
// zero, its reserved bytes are zero, its frame fits in the segment file and
// the CRC matches. Storing the LSN in the frame makes a record found at the
// wrong place (stale bytes, a misnamed file) invalid.
//
// # Torn tails and recovery
//
// Writes reach the disk in no particular order until an fsync, so after a
// crash the end of the log may hold a partial frame, garbage, or zeros.
// Open scans every segment from its base, frame by frame, until the first
// position p that does not hold a valid frame (an all-zero header is the
// normal end of the log). Then:
//
//  1. If a valid frame exists at any position after p, in this segment or a
//     later one, the bad bytes are in the middle of data that was written
//     after them and may have been acknowledged: Open fails with ErrCorrupt
//     naming the segment and both LSNs. Nothing is changed on disk.
//  2. Otherwise p is the torn end of the log. Every non-zero byte from p to
//     the end of the segment is copied to "<segment>.corrupt-<LSN of p>" and
//     overwritten with zeros; later segments (which hold no valid frame) are
//     removed, or renamed to "<segment>.corrupt-<base>" when they hold
//     non-zero bytes. Each cut is logged at warning level.
//  3. A non-last segment whose frames end past the next segment's base is
//     ErrCorrupt (overlapping segments).
//
// After recovery every remaining segment is fsynced and the flushed LSN is
// the end LSN: everything found on disk is durable before Open returns.
//
// A segment is fsynced before the first byte is written to the next one, so
// after a crash only the last segment can hold unsynced records. Within it,
// a crash in which the kernel wrote a later page of unsynced records but not
// an earlier one looks like rule 1 and makes Open fail: the package cannot
// tell it from damage to acknowledged records. An operator who knows that
// nothing after the bad record was acknowledged opens the log once with
// Options.CutCorruptTail, which applies rule 2 at the first invalid record.
//
// # Writing, group commit and fsyncgate
//
// Append and AppendAt copy a frame into memory and return; frames reach
// the segment file (the OS page cache) together, in one write, when Write
// or Sync asks for them, when 256 KiB are waiting, at a rollover, or at
// Close. A payload over 64 KiB is written at once. A record is NOT
// durable until Sync returns for an LSN at or past its end, and a crash of
// the process loses what was not written: a caller that makes a record's
// effects visible before it is durable calls Write first (the store does,
// before SQLite commits).
//
// Sync implements group commit: one goroutine at a time writes what is in
// memory and runs an fsync, which covers every record appended before it
// started; goroutines that arrive meanwhile wait, and the next fsync
// covers all of them, so N concurrent committers cost far fewer than N
// fsyncs and far fewer writes.
//
// A failed write or fsync leaves the state of the page cache unknown
// ("fsyncgate"): the WAL then refuses every further Append, AppendAt, Sync
// and TruncateAfter with ErrFailed. Close it and Open it again; recovery
// decides what is on disk.
//
// # Readers
//
// A Reader returns records in LSN order and only records that are flushed
// (invariant 3: followers receive only what the leader has fsynced); Next
// blocks until the next record is flushed. A Reader started before FirstLSN
// or overtaken by PurgeBefore returns ErrPurged, so replication can fall
// back to a snapshot; one whose position was removed by TruncateAfter returns
// ErrTruncated. Starting mid-record is ErrInvalidLSN.
//
// # Truncation and purge
//
// TruncateAfter(lsn) keeps exactly the records that end at or before lsn;
// lsn MUST be a record boundary between FirstLSN and EndLSN. It removes the
// later segments, newest first, then rewrites the segment holding lsn (copy
// to "<name>.tmp", zeros after lsn, fsync, rename). A crash in between leaves
// a prefix of the old log that still ends at or after lsn, never a corrupt
// one; the caller repeats the truncation after restart.
//
// PurgeBefore(lsn) removes, oldest first, every segment whose data lies
// entirely before both lsn and the flushed LSN; it never removes the last
// segment. FirstLSN is then the base of the oldest segment.
//
// A log that must restart at another LSN (a follower cloned from a
// snapshot) is started in an empty directory with Options.StartLSN.
//
// # Lifecycle
//
// Open recovers the directory and starts one goroutine, the preallocator of
// spare segments. Close stops it (removing an unused spare), waits for a
// running fsync, closes the files and wakes every blocked Reader with
// ErrClosed. All disk I/O goes through the FS interface so that tests can
// fail a chosen write, fsync or rename.
package wal
