package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/geminibalance/gb/storage/sqlite"
)

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "gb-example")
	defer os.RemoveAll(dir)

	// gemini-balance keeps SQLITE_DATABASE under data/.
	s, err := sqlite.Open(sqlite.Path(filepath.Join(dir, "data"), "default_db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	ctx := context.Background()
	added, _ := s.AddKeys(ctx, []string{"key-a", "key-b"})
	_ = s.PutSettings(ctx, map[string]string{"MAX_FAILURES": "3"})
	settings, _ := s.Settings(ctx)
	fmt.Println("added:", added, "MAX_FAILURES:", settings["MAX_FAILURES"])
	// Output:
	// added: 2 MAX_FAILURES: 3
}
