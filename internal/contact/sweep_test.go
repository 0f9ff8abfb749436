package contact

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"tidings/internal/platform/db"
)

func TestSweepAbandonedUploads(t *testing.T) {
	e := setup(t)
	ops := db.NewPrivileged(e.ops, e.svc.log)
	file := []byte("phone,name\n07911 700001,Ann\n")
	old, _, err := e.svc.CreateImport(e.ctx, e.orgA, e.user, "old.csv", bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := e.svc.CreateImport(e.ctx, e.orgB, e.user, "other-org.csv", bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	// Confirmed (queued) uploads are the worker's, whatever their age.
	queued, err := e.importFile(e.orgA, "done.csv", file, settingsFor(ModeAddNew, false), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(AbandonAfter - time.Minute)
	fresh, _, err := e.svc.CreateImport(e.ctx, e.orgA, e.user, "fresh.csv", bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	// A stray file from a crash between storing and recording an upload.
	stray := filepath.Join(e.dir, "import-stray.upload")
	if err := os.WriteFile(stray, file, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(stray, e.clock.Now().Add(-48*time.Hour), e.clock.Now().Add(-48*time.Hour))
	stored := func(org, id int64) string {
		im, err := e.svc.GetImport(e.ctx, org, id)
		if err != nil {
			t.Fatal(err)
		}
		return im.Status
	}

	if n, err := e.svc.SweepAbandonedUploads(e.ctx, ops); err != nil || n != 0 {
		t.Fatalf("sweep before 24 h: %d, %v", n, err)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Errorf("stray file not deleted: %v", err)
	}
	e.clock.Advance(2 * time.Minute)
	files := func() int {
		entries, _ := os.ReadDir(e.dir)
		return len(entries)
	}
	if got := files(); got != 3 {
		t.Fatalf("%d files before the sweep, want 3", got)
	}
	if n, err := e.svc.SweepAbandonedUploads(e.ctx, ops); err != nil || n != 2 {
		t.Fatalf("sweep: %d, %v; want 2 imports ended", n, err)
	}
	for _, c := range []struct {
		org, id int64
		want    string
	}{{e.orgA, old.ID, StatusCancelled}, {e.orgB, other.ID, StatusCancelled}, {e.orgA, fresh.ID, StatusUploaded}, {e.orgA, queued.ID, StatusFinished}} {
		if got := stored(c.org, c.id); got != c.want {
			t.Errorf("import %d: %s, want %s", c.id, got, c.want)
		}
	}
	im, _ := e.svc.GetImport(e.ctx, e.orgA, old.ID)
	if im.Error != abandonedMessage {
		t.Errorf("swept import says %q", im.Error)
	}
	if got := files(); got != 1 {
		t.Errorf("%d files left, want 1 (the fresh upload's)", got)
	}
	if _, err := e.svc.Preview(e.ctx, e.orgA, fresh.ID); err != nil {
		t.Errorf("the fresh upload is no longer usable: %v", err)
	}
	if n, err := e.svc.SweepAbandonedUploads(e.ctx, ops); err != nil || n != 0 {
		t.Errorf("second sweep: %d, %v", n, err)
	}
}
