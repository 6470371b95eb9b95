package sqlite

import "github.com/geminibalance/gb/storage/internal/sqlstore"

// OpenAtVersion is Open applying the schema migrations up to version
// only, to make a database as an older program left it.
func OpenAtVersion(path string, version int) (*Store, error) {
	d := dialect
	d.Migrations = func(t sqlstore.Tables) []sqlstore.Migration { return migrations(t)[:version] }
	return open(path, d)
}
