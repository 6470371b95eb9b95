package filestore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/storagetest"
)

// The custom backend runs the same conformance suite as gb's own. (It uses
// Run, not RunPersistent: only its keys outlive the process; its logs and
// settings are in memory.)
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := Open(filepath.Join(t.TempDir(), "keys.json"))
		require.NoError(t, err)
		return s
	})
}

func TestKeysSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.json")
	s, err := Open(path)
	require.NoError(t, err)
	_, err = s.AddKeys(ctx, []string{"k1", "k2"})
	require.NoError(t, err)
	require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{"k2": {Benched: true, BenchReason: "API_KEY_INVALID"}}))
	require.NoError(t, s.Close())

	s, err = Open(path)
	require.NoError(t, err)
	recs, err := s.ListKeys(ctx)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, "k1", recs[0].Key)
	assert.True(t, recs[1].State.Benched)
	assert.Equal(t, "API_KEY_INVALID", recs[1].State.BenchReason)
}
