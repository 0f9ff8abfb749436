package contact

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"tidings/internal/platform/db"
)

// AbandonAfter is how long an upload may wait for its mapping to be
// confirmed. After that its file (personal data nobody chose to import) is
// deleted and the import is marked cancelled.
const AbandonAfter = 24 * time.Hour

// abandonedMessage is what the imports list shows for a swept upload.
const abandonedMessage = "This upload was never confirmed, so its file was deleted after 24 hours. Upload the file again to import it."

// SweepAbandonedUploads ends the imports of every org that stayed
// uploaded (never confirmed) for longer than AbandonAfter, deletes their
// files, and deletes files in the upload folder that no waiting import
// points at and that are as old (left by a crash between storing an upload
// and recording it). The periodic maintenance job calls it; it is
// cross-tenant, hence the privileged handle. It returns how many imports
// it ended.
func (s *Service) SweepAbandonedUploads(ctx context.Context, ops *db.Privileged) (int, error) {
	cutoff := s.clock.Now().Add(-AbandonAfter)
	var ended []struct {
		OrgID      int64
		ID         int64
		StoredName string
	}
	err := ops.Tx(ctx, "contact: sweep abandoned uploads", func(tx *gorm.DB) error {
		return tx.Raw(`WITH old AS (
				SELECT org_id, id, stored_name FROM contact_imports
				WHERE status = 'uploaded' AND created_at < ? FOR UPDATE SKIP LOCKED
			)
			UPDATE contact_imports i SET status = 'cancelled', error = ?, stored_name = '', finished_at = ?
			FROM old WHERE i.org_id = old.org_id AND i.id = old.id
			RETURNING i.org_id, i.id, old.stored_name`, cutoff, abandonedMessage, s.clock.Now()).Scan(&ended).Error
	})
	if err != nil {
		return 0, fmt.Errorf("contact: sweep abandoned uploads: %w", err)
	}
	for _, e := range ended {
		if p := s.path(e.StoredName); p != "" {
			_ = os.Remove(p)
		}
	}
	if err := s.sweepStrayFiles(ctx, ops, cutoff); err != nil {
		return len(ended), err
	}
	if len(ended) > 0 {
		s.log.InfoContext(ctx, "contact: abandoned uploads swept", "imports", len(ended))
	}
	return len(ended), nil
}

// sweepStrayFiles deletes upload-folder files older than cutoff that no
// import still waiting or running points at.
func (s *Service) sweepStrayFiles(ctx context.Context, ops *db.Privileged, cutoff time.Time) error {
	if s.opt.UploadDir == "" {
		return nil
	}
	entries, err := os.ReadDir(s.opt.UploadDir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("contact: sweep upload folder: %w", err)
	}
	var old []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasPrefix(e.Name(), "import-") {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			old = append(old, e.Name())
		}
	}
	if len(old) == 0 {
		return nil
	}
	var keep []string
	err = ops.Tx(ctx, "contact: sweep upload folder", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT stored_name FROM contact_imports WHERE stored_name = ANY (?::text[])
			AND status IN ('uploaded', 'queued', 'running')`, db.TextArray(old)).Scan(&keep).Error
	})
	if err != nil {
		return fmt.Errorf("contact: sweep upload folder: %w", err)
	}
	for _, name := range old {
		if !slices.Contains(keep, name) {
			_ = os.Remove(filepath.Join(s.opt.UploadDir, name))
		}
	}
	return nil
}
