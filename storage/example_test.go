package storage_test

import (
	"context"
	"fmt"
	"time"

	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/memory"
)

func ExampleNewLogWriter() {
	store := memory.New()
	w := storage.NewLogWriter(store, storage.LogWriterOptions{})

	// On the request path: never blocks.
	start := time.Now()
	w.Request(storage.RequestLog{Time: start, Key: "AIza...", Model: "gemini-2.5-flash",
		Kind: "gemini-chat-stream", Status: 200, Success: true, Latency: 850 * time.Millisecond})
	w.Request(storage.RequestLog{Time: start, Key: "AIza...", Model: "gemini-2.5-flash",
		Kind: "gemini-chat-stream", Status: 429})
	w.Error(storage.ErrorLog{Time: start, Key: "AIza...", Model: "gemini-2.5-flash",
		Kind: "gemini-chat-stream", Status: 429, Message: "Resource has been exhausted"})

	// At shutdown: write what is queued.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		fmt.Println("close:", err)
	}

	total, ok, _ := store.CountRequestLogs(ctx, time.Time{}, time.Time{})
	errs, _, _ := store.ListErrorLogs(ctx, storage.ErrorLogFilter{})
	st := w.Stats()
	fmt.Printf("requests %d (%d ok), errors %d\n", total, ok, len(errs))
	fmt.Printf("written %d+%d, dropped %d\n", st.Requests.Written, st.Errors.Written, st.Requests.Dropped+st.Errors.Dropped)
	// Output:
	// requests 2 (1 ok), errors 1
	// written 2+1, dropped 0
}
