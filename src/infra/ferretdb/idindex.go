package main

// FerretDB 1.24's SQLite backend looks documents up by `_id` with the SQL
// expression `_ferretdb_sjson->'$._id'`, but the unique `_id_` index it
// creates is on `_ferretdb_sjson->"_id"`. SQLite only uses an index on an
// expression for that very expression, so every `{_id: …}` find, update and
// delete would walk the whole table (updates and deletes always to the end).
// This file redefines that index, as soon as FerretDB has created it, on the
// expression the queries use: same name, still unique, one transaction.
// FerretDB refers to its indexes by name only, so it neither knows nor needs
// to know; dropping the collection drops the index with the table.
//
// Earlier builds added a second index on the lookup expression beside
// FerretDB's; every insert then kept two indexes on `_id` up to date, which
// cost 10-18 % of FerretDB's CPU per attempt-log entry (BENCHMARKS.md). Data
// folders they wrote lose the second index the first time this runner sees them.

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

// ferretIDIndexSuffix names FerretDB's own unique `_id_` index: FerretDB
// names its indexes "<table>_<index name>".
const ferretIDIndexSuffix = "__id_"

// idLookupExpr is the expression FerretDB's queries look `_id` up by.
const idLookupExpr = "_ferretdb_sjson->'$._id'"

// legacyIDIndexSuffix names the second, non-unique index on idLookupExpr that
// earlier builds of this runner added beside FerretDB's; redefineIDIndex drops
// it from data directories they wrote.
const legacyIDIndexSuffix = "_engine_id_lookup"

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
				l.Debug("id indexes redefined", slog.String("file", f), slog.Int("count", n))
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

// ensureIDIndexes redefines the `_id_` index of every collection table of one
// database file that still has FerretDB's definition (or a legacy second
// index) and returns how many it redefined; an error when one could not be.
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
		WHERE EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || ? AND m.sql NOT LIKE ?)
		   OR EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || ?)`,
		ferretIDIndexSuffix, "%"+idLookupExpr+"%", legacyIDIndexSuffix)
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
	changed := 0
	var failed error
	for _, t := range tables {
		if strings.ContainsAny(t, "\"\x00") {
			continue
		}
		if err := redefineIDIndex(ctx, conn, t); err != nil {
			// The table may be being created or dropped right now: the caller
			// tries again at its next tick, as for any error.
			failed = err
			continue
		}
		changed++
	}
	return changed, failed
}

// redefineIDIndex gives table's `_id_` index the expression FerretDB's
// queries use, keeping its name and its uniqueness, and drops the legacy
// second index, in one transaction: no moment without a unique index on
// `_id`, and a failure leaves the table as it was. It does nothing while
// FerretDB has not created its index yet (it creates the table first), so
// FerretDB never finds the name taken.
func redefineIDIndex(ctx context.Context, conn *sql.Conn, table string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	name := table + ferretIDIndexSuffix
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: FerretDB's index is not there yet", table)
	}
	for _, q := range []string{
		fmt.Sprintf(`DROP INDEX "%s"`, name),
		fmt.Sprintf(`CREATE UNIQUE INDEX "%s" ON "%s" (%s)`, name, table, idLookupExpr),
		fmt.Sprintf(`DROP INDEX IF EXISTS "%s"`, table+legacyIDIndexSuffix),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}
