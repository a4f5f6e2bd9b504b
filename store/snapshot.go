package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/replisql/replisql/wal"
)

// A snapshot is a consistent copy of the database at a known LSN, made
// online with VACUUM INTO (which reads one SQLite snapshot and does not
// block the writer), stored as snapshots/<LSN as 16 hex digits>.sqlite
// with its SHA-256 in a .sha256 file beside it. The LSN is the
// applied_lsn inside the copy itself, so the two cannot disagree.

// SnapshotInfo describes one snapshot.
type SnapshotInfo struct {
	Path   string
	LSN    wal.LSN
	SHA256 string
	Size   int64
}

func (s *Store) snapshotDir() string { return filepath.Join(s.opts.Dir, "snapshots") }

// Snapshot takes a snapshot, keeps the newest SnapshotsKept of them and
// purges the WAL before the oldest kept one.
func (s *Store) Snapshot(ctx context.Context) (SnapshotInfo, error) {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	began := time.Now()
	dir := s.snapshotDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return SnapshotInfo{}, err
	}
	tmp := filepath.Join(dir, "snapshot.tmp")
	os.Remove(tmp)
	db, err := sql.Open("sqlite", s.dsn(roleHelper))
	if err != nil {
		return SnapshotInfo{}, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?1", tmp); err != nil {
		return SnapshotInfo{}, fmt.Errorf("vacuum into %s: %w", tmp, err)
	}
	info, err := finishSnapshot(ctx, tmp, dir)
	if err != nil {
		os.Remove(tmp)
		return SnapshotInfo{}, err
	}
	s.log.Info().Str("path", info.Path).Stringer("lsn", info.LSN).Int64("bytes", info.Size).
		Dur("took", time.Since(began)).Msg("snapshot taken")
	if err := s.retainSnapshots(); err != nil {
		s.log.Warn().Err(err).Msg("snapshot retention")
	}
	return info, nil
}

// finishSnapshot reads the copy's LSN, fsyncs it, writes its checksum and
// gives it its final name.
func finishSnapshot(ctx context.Context, tmp, dir string) (SnapshotInfo, error) {
	cdb, err := sql.Open("sqlite", "file:"+tmp+"?mode=ro")
	if err != nil {
		return SnapshotInfo{}, err
	}
	lsn, err := readAppliedFrom(ctx, cdb)
	cdb.Close()
	if err != nil {
		return SnapshotInfo{}, err
	}
	sum, size, err := fileSHA256(tmp, true)
	if err != nil {
		return SnapshotInfo{}, err
	}
	name := fmt.Sprintf("%016X", uint64(lsn))
	final := filepath.Join(dir, name+".sqlite")
	if err := os.WriteFile(filepath.Join(dir, name+".sha256"), []byte(sum+"  "+name+".sqlite\n"), 0o600); err != nil {
		return SnapshotInfo{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return SnapshotInfo{}, err
	}
	if err := syncDir(dir); err != nil {
		return SnapshotInfo{}, err
	}
	return SnapshotInfo{Path: final, LSN: lsn, SHA256: sum, Size: size}, nil
}

// Snapshots lists the snapshots, oldest first.
func (s *Store) Snapshots() ([]SnapshotInfo, error) { return listSnapshots(s.snapshotDir()) }

func listSnapshots(dir string) ([]SnapshotInfo, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []SnapshotInfo
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".sqlite")
		if !ok || len(name) != 16 {
			continue
		}
		var lsn uint64
		if _, err := fmt.Sscanf(name, "%016X", &lsn); err != nil {
			continue
		}
		sum, _ := os.ReadFile(filepath.Join(dir, name+".sha256"))
		hexSum, _, _ := strings.Cut(string(sum), " ")
		out = append(out, SnapshotInfo{Path: filepath.Join(dir, e.Name()), LSN: wal.LSN(lsn), SHA256: hexSum})
	}
	slices.SortFunc(out, func(a, b SnapshotInfo) int { return int64cmp(int64(a.LSN), int64(b.LSN)) })
	return out, nil
}

func int64cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// retainSnapshots removes all but the newest SnapshotsKept snapshots and
// purges the WAL before the oldest one kept.
func (s *Store) retainSnapshots() error {
	snaps, err := s.Snapshots()
	if err != nil || len(snaps) == 0 {
		return err
	}
	for len(snaps) > s.opts.SnapshotsKept {
		old := snaps[0]
		os.Remove(old.Path)
		os.Remove(strings.TrimSuffix(old.Path, ".sqlite") + ".sha256")
		snaps = snaps[1:]
	}
	if s.wal == nil {
		return nil
	}
	return s.wal.PurgeBefore(snaps[0].LSN)
}

// rebuild replaces the database with the latest valid snapshot (or an
// empty database when the WAL still starts at the beginning); the caller
// then replays the WAL. The replaced files are kept aside.
func (s *Store) rebuild(ctx context.Context) error {
	snaps, err := s.Snapshots()
	if err != nil {
		return err
	}
	var src *SnapshotInfo
	for i := len(snaps) - 1; i >= 0; i-- {
		sum, _, err := fileSHA256(snaps[i].Path, false)
		if err == nil && sum == snaps[i].SHA256 {
			src = &snaps[i]
			break
		}
		s.log.Error().Str("path", snaps[i].Path).Msg("snapshot fails its checksum; trying an older one")
	}
	if src == nil && s.wal.FirstLSN() != wal.DefaultStartLSN {
		return fmt.Errorf("store: no valid snapshot, and the WAL starts at %s: the database cannot be rebuilt", s.wal.FirstLSN())
	}
	if src != nil && src.LSN > s.wal.EndLSN() {
		return fmt.Errorf("store: the newest valid snapshot (%s) is past the end of the WAL (%s)", src.LSN, s.wal.EndLSN())
	}
	if err := s.closeSQLite(); err != nil {
		s.log.Warn().Err(err).Msg("close before rebuild")
	}
	aside := s.path + ".replaced-" + time.Now().UTC().Format("20060102T150405")
	if err := s.moveDatabaseAside(aside); err != nil {
		return err
	}
	if src != nil {
		if err := copyFile(src.Path, s.path); err != nil {
			return fmt.Errorf("restore snapshot %s: %w", src.Path, err)
		}
		s.log.Info().Str("snapshot", src.Path).Stringer("lsn", src.LSN).Str("old_database", aside).Msg("database restored from snapshot")
	} else {
		s.log.Info().Str("old_database", aside).Msg("database rebuilt from the whole WAL")
	}
	s.InvalidateSchema()
	return s.openSQLite(ctx)
}

// moveDatabaseAside renames the database file, and SQLite's WAL and
// index beside it, to aside and aside-wal, aside-shm.
func (s *Store) moveDatabaseAside(aside string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := moveAside(s.path+suffix, aside+suffix); err != nil {
			return err
		}
	}
	return nil
}

// moveAside renames path to aside, replacing what aside held; a missing
// path is no error.
func moveAside(path, aside string) error {
	if err := os.RemoveAll(aside); err != nil {
		return err
	}
	if err := os.Rename(path, aside); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func fileSHA256(path string, fsync bool) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	if fsync {
		if err := f.Sync(); err != nil {
			return "", 0, err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
