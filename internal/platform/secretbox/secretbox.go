// Package secretbox encrypts secrets at rest (WhatsApp access tokens, app
// secrets, later TOTP seeds) with AES-256-GCM. Every sealed value names the
// key that sealed it, so keys rotate: add a new key as the primary, keep the
// old ones for opening, and re-seal at leisure.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownKey means a value was sealed with a key this process lacks.
var ErrUnknownKey = errors.New("secretbox: sealed with an unknown key")

// ErrCorrupt means a value is not one this package sealed, or was altered.
var ErrCorrupt = errors.New("secretbox: sealed value is corrupt or was tampered with")

// Box seals with the primary key and opens with any known key.
type Box struct {
	primary string
	aeads   map[string]cipher.AEAD
}

// Key is a named 32-byte key.
type Key struct {
	ID    string
	Bytes []byte
}

// New builds a box; keys[0] is the primary.
func New(keys []Key) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("secretbox: no keys")
	}
	b := &Box{primary: keys[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if len(k.Bytes) != 32 {
			return nil, fmt.Errorf("secretbox: key %q must be 32 bytes, is %d", k.ID, len(k.Bytes))
		}
		if k.ID == "" || strings.ContainsAny(k.ID, ":") {
			return nil, fmt.Errorf("secretbox: key id %q must be non-empty and without ':'", k.ID)
		}
		block, err := aes.NewCipher(k.Bytes)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %w", err)
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secretbox: %w", err)
		}
		b.aeads[k.ID] = gcm
	}
	return b, nil
}

// Seal encrypts plaintext; context binds the value to where it is stored
// (e.g. "wa_connection:42:token") so a sealed value copied into another
// row or column does not open.
func (b *Box) Seal(plaintext, context string) (string, error) {
	aead := b.aeads[b.primary]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secretbox: nonce: %w", err)
	}
	ct := aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return b.primary + ":" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// Open decrypts a value sealed with the same context.
func (b *Box) Open(sealed, context string) (string, error) {
	id, enc, ok := strings.Cut(sealed, ":")
	if !ok {
		return "", ErrCorrupt
	}
	aead, known := b.aeads[id]
	if !known {
		return "", fmt.Errorf("%w: %q", ErrUnknownKey, id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", ErrCorrupt
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(context))
	if err != nil {
		return "", ErrCorrupt
	}
	return string(pt), nil
}

// KeyID names the key a value was sealed with, for rotation reports.
func KeyID(sealed string) string {
	id, _, _ := strings.Cut(sealed, ":")
	return id
}

// ParseKeys reads "id1:base64key1,id2:base64key2" (the first is primary).
func ParseKeys(s string) ([]Key, error) {
	var out []Key
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, enc, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("secretbox: key %q is not id:base64", id)
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			if raw, err = base64.RawStdEncoding.DecodeString(enc); err != nil {
				return nil, fmt.Errorf("secretbox: key %q is not base64", id)
			}
		}
		out = append(out, Key{ID: id, Bytes: raw})
	}
	if len(out) == 0 {
		return nil, errors.New("secretbox: no keys given")
	}
	return out, nil
}
