package main

// FerretDB 1.24's SQLite backend looks documents up by `_id` with the SQL
// expression `_ferretdb_sjson->'$._id'`, but the unique `_id_` index it
// creates is on `_ferretdb_sjson->"_id"`. SQLite only uses an index on an
// expression for that very expression, so every `{_id: …}` find, update and
// delete walks the whole table (updates and deletes always to the end). This
// file adds, beside FerretDB's own index, one on the expression the queries
// use, to every collection table, as soon as it appears. FerretDB neither
// knows nor needs to know about it: SQLite keeps it up to date, and dropping
// the collection drops it with the table.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// idIndexSuffix names the added index: "<table>" + idIndexSuffix. FerretDB
// names its own indexes "<table>_<index name>".
const idIndexSuffix = "_engine_id_lookup"

// dataDirOf returns the directory of a FerretDB SQLite URL such as "file:data/".
func dataDirOf(sqliteURL string) (string, error) {
	u, err := url.Parse(sqliteURL)
	if err != nil {
		return "", err
	}
	dir := u.Opaque
	if dir == "" {
		dir = u.Path
	}
	if dir == "" {
		return "", fmt.Errorf("no directory in %q", sqliteURL)
	}
	return dir, nil
}

// fileSignature changes whenever a database file or its write-ahead log does.
func fileSignature(path string) string {
	sig := ""
	for _, p := range []string{path, path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			sig += fmt.Sprintf("%d/%d;", st.ModTime().UnixNano(), st.Size())
		}
	}
	return sig
}

// watchIDIndexes checks every database file of dir whenever it has changed,
// every interval, until ctx ends.
func watchIDIndexes(ctx context.Context, dir string, interval time.Duration, l *slog.Logger) {
	seen := map[string]string{}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		live := map[string]bool{}
		for _, f := range files {
			live[f] = true
			sig := fileSignature(f)
			if sig == "" || seen[f] == sig {
				continue
			}
			n, err := ensureIDIndexes(ctx, f)
			if err != nil {
				// A database being created or dropped right now: try again next time.
				l.Debug("id index check failed", slog.String("file", f), slog.String("error", err.Error()))
				continue
			}
			if n > 0 {
				l.Debug("id indexes added", slog.String("file", f), slog.Int("count", n))
			}
			// The signature after our own change, so the index creation itself does not trigger a re-check.
			seen[f] = fileSignature(f)
		}
		for f := range seen {
			if !live[f] {
				delete(seen, f)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// ensureIDIndexes adds the lookup index to every collection table of one
// database file that lacks it and returns how many it added.
func ensureIDIndexes(ctx context.Context, file string) (int, error) {
	// mode=rw: never create a file FerretDB has just removed.
	db, err := sql.Open("sqlite", "file:"+file+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	// Keep the write-ahead log on close: if FerretDB dropped this database and
	// created it anew meanwhile, a delete by name would hit the new one's log.
	err = conn.Raw(func(dc any) error {
		fc, ok := dc.(sqlite.FileControl)
		if !ok {
			return fmt.Errorf("the SQLite driver has no file control")
		}
		_, err := fc.FileControlPersistWAL("main", 1)
		return err
	})
	if err != nil {
		return 0, err
	}
	rows, err := conn.QueryContext(ctx, `SELECT c.table_name FROM _ferretdb_collections c
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || ?)`, idIndexSuffix)
	if err != nil {
		return 0, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return 0, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	added := 0
	for _, t := range tables {
		if strings.ContainsAny(t, "\"\x00") {
			continue
		}
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS "%s" ON "%s" (_ferretdb_sjson->'$._id')`, t+idIndexSuffix, t)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			// The table may have been dropped since the query above.
			continue
		}
		added++
	}
	return added, nil
}
