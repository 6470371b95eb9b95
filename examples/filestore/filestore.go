// Package filestore is an example of a custom gb storage backend: keys
// and their health are kept in a JSON file (handy for a single small
// deployment that wants its key list in version control), while logs and
// settings are delegated to the in-memory backend.
//
// A backend implements storage.Store and proves itself with the shared
// conformance suite, storagetest.RunPersistent (see filestore_test.go).
package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/memory"
)

// Store keeps keys in a JSON file and everything else in memory.
type Store struct {
	*memory.Store // logs and settings (and the method set we do not override)

	path string
	mu   sync.Mutex
	keys []storage.KeyRecord
}

// Open reads the file at path, creating it if it does not exist.
func Open(path string) (*Store, error) {
	s := &Store{Store: memory.New(), path: path}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, s.save()
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(b, &s.keys); err != nil {
		return nil, fmt.Errorf("filestore: %s: %w", path, err)
	}
	return s, nil
}

// save writes the key file atomically (write a temporary file, rename).
// Callers hold mu.
func (s *Store) save() error {
	b, err := json.MarshalIndent(s.keys, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Clean(s.path))
}

// ListKeys implements storage.KeyStore.
func (s *Store) ListKeys(ctx context.Context) ([]storage.KeyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]storage.KeyRecord, len(s.keys))
	for i, r := range s.keys {
		out[i] = r
		out[i].State.Models = cloneModels(r.State.Models)
		if r.State.LastError != nil {
			le := *r.State.LastError
			out[i].State.LastError = &le
		}
	}
	return out, nil
}

// AddKeys implements storage.KeyStore.
func (s *Store) AddKeys(ctx context.Context, keys []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	have := make(map[string]bool, len(s.keys))
	for _, r := range s.keys {
		have[r.Key] = true
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	n := 0
	for _, k := range keys {
		if k == "" || have[k] {
			continue
		}
		have[k] = true
		s.keys = append(s.keys, storage.KeyRecord{Key: k, AddedAt: now})
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return n, s.save()
}

// DeleteKeys implements storage.KeyStore.
func (s *Store) DeleteKeys(ctx context.Context, keys []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	drop := make(map[string]bool, len(keys))
	for _, k := range keys {
		drop[k] = true
	}
	kept := s.keys[:0]
	n := 0
	for _, r := range s.keys {
		if drop[r.Key] {
			n++
			continue
		}
		kept = append(kept, r)
	}
	s.keys = kept
	if n == 0 {
		return 0, nil
	}
	return n, s.save()
}

// SaveKeyStates implements storage.KeyStore.
func (s *Store) SaveKeyStates(ctx context.Context, states map[string]storage.KeyState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	changed := false
	for i := range s.keys {
		st, ok := states[s.keys[i].Key]
		if !ok {
			continue
		}
		st.Models = cloneModels(st.Models)
		for m, ms := range st.Models {
			if !ms.Until.IsZero() && !ms.Until.After(now) {
				delete(st.Models, m) // expired cool-downs are not kept
			}
		}
		if len(st.Models) == 0 {
			st.Models = nil
		}
		if st.LastError != nil {
			le := *st.LastError
			st.LastError = &le
		}
		s.keys[i].State = st
		changed = true
	}
	if !changed {
		return nil
	}
	return s.save()
}

func cloneModels(m map[string]storage.ModelState) map[string]storage.ModelState {
	if m == nil {
		return nil
	}
	out := make(map[string]storage.ModelState, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

var _ storage.Store = (*Store)(nil)
