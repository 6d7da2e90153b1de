package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// InboundFile is a file received from Cleo, stored (and committed) before
// the engine acknowledges it there, so a crash after the download never
// loses it. Raw is filled only by InboundFile (by id).
type InboundFile struct {
	ID         int64
	RemoteID   string // Cleo's id; unique
	Name       string
	Partner    string
	Size       int64
	SHA256     string // hex
	Raw        []byte
	ReceivedAt time.Time
	Status     FileStatus
	Error      string
	AckedAt    time.Time // zero until the engine acked it in Cleo
	UpdatedAt  time.Time
}

const fileColumns = `id, remote_id, name, partner, size, sha256, received_at, status, error, acked_at, updated_at`

func scanFile(sc rowScanner) (InboundFile, error) {
	var f InboundFile
	var received, acked, updated string
	err := sc.Scan(&f.ID, &f.RemoteID, &f.Name, &f.Partner, &f.Size, &f.SHA256, &received, &f.Status, &f.Error,
		&acked, &updated)
	f.ReceivedAt, f.AckedAt, f.UpdatedAt = parseTime(received), parseTime(acked), parseTime(updated)
	return f, err
}

// InsertInboundFile stores a received file in status FileReceived unless a
// file with the same RemoteID is already stored, in which case that one is
// returned with created false (a download repeated after a crash). Size and
// SHA256 are computed from Raw. An audit event "file.received" is written.
func (t *Tx) InsertInboundFile(f InboundFile) (InboundFile, bool, error) {
	if f.RemoteID == "" {
		return f, false, fmt.Errorf("insert inbound file %q: empty remote id: %w", f.Name, ErrInvalid)
	}
	existing, err := scanFile(t.tx.QueryRow(`SELECT `+fileColumns+` FROM inbound_files WHERE remote_id = ?`, f.RemoteID))
	if err == nil {
		return existing, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return f, false, fmt.Errorf("insert inbound file %s: %w", f.RemoteID, err)
	}
	f.Size = int64(len(f.Raw))
	f.SHA256 = ContentHash(f.Raw)
	f.Status = FileReceived
	if f.ReceivedAt.IsZero() {
		f.ReceivedAt = t.now
	}
	now := fmtTime(t.now)
	raw := f.Raw
	if raw == nil {
		raw = []byte{}
	}
	err = t.tx.QueryRow(`INSERT INTO inbound_files (remote_id, name, partner, size, sha256, raw, received_at, status, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, f.RemoteID, f.Name, f.Partner, f.Size, f.SHA256, raw,
		fmtTime(f.ReceivedAt), f.Status, now).Scan(&f.ID)
	if err != nil {
		return f, false, fmt.Errorf("insert inbound file %s: %w", f.RemoteID, err)
	}
	f.ReceivedAt = parseTime(fmtTime(f.ReceivedAt))
	f.UpdatedAt = parseTime(now)
	if _, err := t.AppendEvent(Event{Subject: fmt.Sprintf("file:%d", f.ID), Action: "file.received",
		Detail: map[string]any{"remote_id": f.RemoteID, "name": f.Name, "partner": f.Partner, "size": f.Size,
			"sha256": f.SHA256}}); err != nil {
		return f, false, err
	}
	return f, true, nil
}

// InsertInboundFile is Tx.InsertInboundFile in its own transaction; when it
// returns nil the file is durable and may be acked in Cleo.
func (s *Store) InsertInboundFile(ctx context.Context, f InboundFile) (InboundFile, bool, error) {
	var out InboundFile
	var created bool
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		out, created, err = tx.InsertInboundFile(f)
		return err
	})
	return out, created, err
}

// SetInboundFileStatus records the outcome of splitting a file (errMsg for FileFailed).
func (t *Tx) SetInboundFileStatus(id int64, st FileStatus, errMsg string) error {
	if st != FileReceived && st != FileSplit && st != FileFailed {
		return fmt.Errorf("set inbound file %d status %q: %w", id, st, ErrInvalid)
	}
	res, err := t.tx.Exec(`UPDATE inbound_files SET status = ?, error = ?, updated_at = ? WHERE id = ?`,
		st, errMsg, fmtTime(t.now), id)
	if err != nil {
		return fmt.Errorf("set inbound file %d status: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set inbound file %d status: %w", id, ErrNotFound)
	}
	detail := map[string]any{"status": st}
	if errMsg != "" {
		detail["error"] = errMsg
	}
	_, err = t.AppendEvent(Event{Subject: fmt.Sprintf("file:%d", id), Action: "file." + string(st), Detail: detail})
	return err
}

// MarkInboundFileAcked records that the file was acknowledged in Cleo.
func (t *Tx) MarkInboundFileAcked(id int64) error {
	res, err := t.tx.Exec(`UPDATE inbound_files SET acked_at = ?, updated_at = ? WHERE id = ? AND acked_at = ''`,
		fmtTime(t.now), fmtTime(t.now), id)
	if err != nil {
		return fmt.Errorf("mark inbound file %d acked: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // already acked (or unknown): acking is idempotent
	}
	_, err = t.AppendEvent(Event{Subject: fmt.Sprintf("file:%d", id), Action: "file.acked"})
	return err
}

// SetInboundFileStatus is Tx.SetInboundFileStatus in its own transaction.
func (s *Store) SetInboundFileStatus(ctx context.Context, id int64, st FileStatus, errMsg string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.SetInboundFileStatus(id, st, errMsg) })
}

// MarkInboundFileAcked is Tx.MarkInboundFileAcked in its own transaction.
func (s *Store) MarkInboundFileAcked(ctx context.Context, id int64) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.MarkInboundFileAcked(id) })
}

// InboundFile reads one file with its raw bytes.
func (s *Store) InboundFile(ctx context.Context, id int64) (InboundFile, error) {
	f, err := scanFile(s.r.QueryRowContext(ctx, `SELECT `+fileColumns+` FROM inbound_files WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("inbound file %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("inbound file %d: %w", id, err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT raw FROM inbound_files WHERE id = ?`, id).Scan(&f.Raw); err != nil {
		return f, fmt.Errorf("inbound file %d: %w", id, err)
	}
	return f, nil
}

// InboundFileByRemoteID reads a file's metadata (no raw bytes) by Cleo id.
func (s *Store) InboundFileByRemoteID(ctx context.Context, remoteID string) (InboundFile, error) {
	f, err := scanFile(s.r.QueryRowContext(ctx, `SELECT `+fileColumns+` FROM inbound_files WHERE remote_id = ?`, remoteID))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("inbound file %s: %w", remoteID, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("inbound file %s: %w", remoteID, err)
	}
	return f, nil
}

// InboundFiles lists files (no raw bytes) in a status, oldest first; all
// statuses when st is empty. limit 0 means no limit.
func (s *Store) InboundFiles(ctx context.Context, st FileStatus, limit int) ([]InboundFile, error) {
	q := `SELECT ` + fileColumns + ` FROM inbound_files`
	var args []any
	if st != "" {
		q += ` WHERE status = ?`
		args = append(args, st)
	}
	if limit <= 0 {
		limit = math.MaxInt32 // PostgreSQL refuses SQLite's LIMIT -1
	}
	args = append(args, limit)
	return s.queryFiles(ctx, q+` ORDER BY received_at, id LIMIT ?`, args...)
}

// UnackedInboundFiles lists stored files not yet acknowledged in Cleo, oldest
// first: after a crash between commit and ack, the engine acks these.
func (s *Store) UnackedInboundFiles(ctx context.Context) ([]InboundFile, error) {
	return s.queryFiles(ctx, `SELECT `+fileColumns+` FROM inbound_files WHERE acked_at = '' ORDER BY received_at, id`)
}

func (s *Store) queryFiles(ctx context.Context, q string, args ...any) ([]InboundFile, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list inbound files: %w", err)
	}
	defer rows.Close()
	var out []InboundFile
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("list inbound files: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
