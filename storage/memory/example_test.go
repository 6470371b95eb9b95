package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/memory"
)

func ExampleNew() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()

	added, _ := s.AddKeys(ctx, []string{"key-a", "key-b", "key-a"})
	_ = s.SaveKeyStates(ctx, map[string]storage.KeyState{
		"key-b": {Benched: true, BenchReason: "API_KEY_INVALID", BenchedAt: time.Now()},
	})
	recs, _ := s.ListKeys(ctx)
	fmt.Println("added:", added)
	for _, r := range recs {
		fmt.Printf("%s benched=%v reason=%q\n", r.Key, r.State.Benched, r.State.BenchReason)
	}
	// Output:
	// added: 2
	// key-a benched=false reason=""
	// key-b benched=true reason="API_KEY_INVALID"
}
