package memory_test

import (
	"testing"

	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/memory"
	"github.com/geminibalance/gb/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return memory.New() })
}
