// Command ferretdb-embedded runs FerretDB 1.24 for the exam engine: on its
// SQLite backend (the embedded default) or, given --postgresql-url, on its
// PostgreSQL backend.
//
// It wraps FerretDB's embeddable package instead of using the binary that
// `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` produces,
// because that binary panics at start-up outside FerretDB's own build system
// (it requires a generated build/version/version.txt). Telemetry is disabled
// by the embeddable package, and it opens no debug listener.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI of the data directory (with trailing slash)")
	postgresURL := flag.String("postgresql-url", "", "PostgreSQL URL (postgres://user@host:5432/database); when set, the PostgreSQL backend is used instead of SQLite")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	idIndexEvery := flag.Duration("id-index-interval", 200*time.Millisecond, "how often to look for collections lacking the _id lookup index (0: never)")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "bad --log-level: %s\n", err)
		os.Exit(2)
	}
	logger := slog.New(newLazyHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	config := &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: withMemoryTempStore(*sqliteURL),
		Logger:    logger,
	}
	if *postgresURL != "" {
		config.Handler = "postgresql"
		config.SQLiteURL = ""
		config.PostgreSQLURL = *postgresURL
	}

	f, err := ferretdb.New(config)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %s\n", err)
		os.Exit(1)
	}

	// FERRETDB_CPU_PROFILE=<file>: a Go CPU profile of the whole run, written
	// when the process stops (a profiling aid for the load tests).
	if file := os.Getenv("FERRETDB_CPU_PROFILE"); file != "" {
		out, err := os.Create(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "FERRETDB_CPU_PROFILE: %s\n", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			fmt.Fprintf(os.Stderr, "FERRETDB_CPU_PROFILE: %s\n", err)
			os.Exit(2)
		}
		defer func() {
			pprof.StopCPUProfile()
			out.Close()
		}()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *idIndexEvery > 0 && *postgresURL != "" {
		go watchPgIDIndexes(ctx, *postgresURL, *idIndexEvery, logger)
	} else if *idIndexEvery > 0 {
		dir, err := dataDirOf(*sqliteURL)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bad --sqlite-url: %s\n", err)
			os.Exit(2)
		}
		go watchIDIndexes(ctx, dir, *idIndexEvery, logger)
	}

	fmt.Fprintf(os.Stderr, "ferretdb listening on %s\n", f.MongoDBURI())
	if err := f.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %s\n", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
