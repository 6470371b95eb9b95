package mysql_test

import (
	"context"
	"fmt"

	"github.com/geminibalance/gb/storage/mysql"
)

// Open takes gemini-balance's MYSQL_* settings.
func ExampleOpen() {
	s, err := mysql.Open(mysql.Config{
		Host: "127.0.0.1", Port: 3306,
		User: "gb", Password: "secret",
		Database: "gemini_balance",
	})
	if err != nil {
		fmt.Println("no database:", err != nil)
		return
	}
	defer s.Close()
	n, _ := s.AddKeys(context.Background(), []string{"AIzaSy..."})
	fmt.Println("added", n)
}

func ExampleConfig_DSN() {
	cfg := mysql.Config{Socket: "/run/mysqld/mysqld.sock", User: "gb", Database: "gemini_balance"}
	fmt.Println(cfg.DSN())
	// Output:
	// gb@unix(/run/mysqld/mysqld.sock)/gemini_balance?collation=utf8mb4_general_ci&interpolateParams=true&parseTime=true&timeout=10s
}
