package main

// FerretDB 1.24's PostgreSQL backend looks documents up by `_id` with the
// filter `(_jsonb -> '_id') @> '<value>'`, but the unique `_id_` index it
// creates is a B-tree on `(_jsonb -> '_id')`, which a containment (`@>`)
// test cannot use: every `{_id: …}` find, update and delete scans its table.
// This file adds, beside FerretDB's own index, a GIN index on the same
// expression (jsonb_path_ops serves `@>`) to every collection table as soon
// as it appears, the PostgreSQL counterpart of idindex.go. FerretDB neither
// knows nor needs to know about it: PostgreSQL keeps it up to date, and
// dropping the collection drops it with the table.

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgIDIndexSuffix names the added index: "<table>" + pgIDIndexSuffix.
const pgIDIndexSuffix = "_engine_id_lookup"

// missingPgIDIndexes lists collection tables (every table of FerretDB's with
// a `_jsonb` column but its metadata tables) that lack the added index.
const missingPgIDIndexes = `
SELECT n.nspname, c.relname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = '_jsonb' AND NOT a.attisdropped
WHERE c.relkind = 'r'
  AND c.relname NOT LIKE '\_ferretdb\_%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_class i
    WHERE i.relnamespace = n.oid AND i.relkind = 'i' AND i.relname = left(c.relname, 63 - length($1)) || $1
  )`

// watchPgIDIndexes adds the index to every collection table that lacks it,
// every interval, until ctx ends.
func watchPgIDIndexes(ctx context.Context, pgURL string, interval time.Duration, l *slog.Logger) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if conn == nil {
			c, err := pgx.Connect(ctx, pgURL)
			if err != nil {
				l.Debug("id index: cannot connect", "error", err)
			} else {
				conn = c
			}
		}
		if conn != nil {
			if err := addPgIDIndexes(ctx, conn, l); err != nil {
				l.Debug("id index: pass failed", "error", err)
				conn.Close(context.Background())
				conn = nil
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func addPgIDIndexes(ctx context.Context, conn *pgx.Conn, l *slog.Logger) error {
	rows, err := conn.Query(ctx, missingPgIDIndexes, pgIDIndexSuffix)
	if err != nil {
		return err
	}
	type table struct{ schema, name string }
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.schema, &t.name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		index := t.name
		if len(index)+len(pgIDIndexSuffix) > 63 {
			index = index[:63-len(pgIDIndexSuffix)]
		}
		index += pgIDIndexSuffix
		sql := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s.%s USING gin ((_jsonb -> '_id') jsonb_path_ops)`,
			pgx.Identifier{index}.Sanitize(), pgx.Identifier{t.schema}.Sanitize(), pgx.Identifier{t.name}.Sanitize())
		// A table dropped meanwhile is no error worth more than a debug line.
		if _, err := conn.Exec(ctx, sql); err != nil {
			l.Debug("id index: not added", "table", t.schema+"."+t.name, "error", err)
			continue
		}
		l.Debug("id index added", "table", t.schema+"."+t.name)
	}
	return nil
}
