package main

import "strings"

// withMemoryTempStore keeps SQLite's temporary files in memory unless the URL
// already chooses. A multi-row INSERT inside FerretDB's write transaction
// opens a statement journal (so that a duplicate key undoes only that
// statement), and with SQLite's default temp_store that journal is a file:
// every page the insert touched was written to it first, by a system call,
// while the write lock was held. The statement journal is never needed after
// the statement, so keeping it in memory changes nothing about durability:
// commits still go through the write-ahead log as before.
func withMemoryTempStore(sqliteURL string) string {
	if strings.Contains(sqliteURL, "temp_store") {
		return sqliteURL
	}
	sep := "?"
	if strings.Contains(sqliteURL, "?") {
		sep = "&"
	}
	return sqliteURL + sep + "_pragma=temp_store(memory)"
}
