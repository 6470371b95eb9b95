package storagetest_test

import (
	"testing"

	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/memory"
	"github.com/geminibalance/gb/storage/storagetest"
)

// A custom backend proves itself by running the shared suite from its own
// test (here the memory backend stands in for yours; see
// examples/filestore for a complete custom backend).
func ExampleRun() {
	_ = func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Store { return memory.New() })
	}
}
