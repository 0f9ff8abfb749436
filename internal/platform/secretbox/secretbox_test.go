package secretbox

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealOpenRotate(t *testing.T) {
	k1 := Key{ID: "k1", Bytes: bytes.Repeat([]byte{1}, 32)}
	k2 := Key{ID: "k2", Bytes: bytes.Repeat([]byte{2}, 32)}
	old, _ := New([]Key{k1})
	sealed, err := old.Seal("EAAG-token", "conn:1:token")
	if err != nil || strings.Contains(sealed, "EAAG") || KeyID(sealed) != "k1" {
		t.Fatalf("Seal = %q, %v", sealed, err)
	}
	rotated, _ := New([]Key{k2, k1})
	if got, err := rotated.Open(sealed, "conn:1:token"); err != nil || got != "EAAG-token" {
		t.Fatalf("old value after rotation: %q, %v", got, err)
	}
	resealed, _ := rotated.Seal("EAAG-token", "conn:1:token")
	if KeyID(resealed) != "k2" {
		t.Errorf("new seals use %q, want the primary k2", KeyID(resealed))
	}
	if _, err := rotated.Open(sealed, "conn:2:token"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("value moved to another row opened: %v", err)
	}
	if _, err := old.Open(resealed, "conn:1:token"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := rotated.Open(tampered, "conn:1:token"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("tampered value opened: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	keys, err := ParseKeys("new:" + strings.Repeat("A", 43) + "=, old:" + strings.Repeat("B", 43) + "=")
	if err != nil || len(keys) != 2 || keys[0].ID != "new" || len(keys[1].Bytes) != 32 {
		t.Fatalf("ParseKeys = %v, %v", keys, err)
	}
	for _, bad := range []string{"", "nokey", "k:!!!"} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
	if _, err := New([]Key{{ID: "short", Bytes: []byte("x")}}); err == nil {
		t.Error("short key accepted")
	}
}
