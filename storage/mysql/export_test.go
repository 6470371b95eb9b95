package mysql

// OpenAtVersion is OpenDSN applying the schema migrations up to version
// only, to make a database as an older program left it.
func OpenAtVersion(dsn string, version int, opts ...Option) (*Store, error) {
	return openDSN(dsn, version, opts...)
}
