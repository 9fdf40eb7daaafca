package main

// FerretDB 1.24 logs every SQL statement it runs at debug level, and builds
// the logger for it first: `l.With(slog.Any("args", args))`, where args are
// the statement's arguments, the whole documents of an insert. slog's text
// handler formats attributes when With is called, not when a record is
// written, so even with debug disabled every insert quoted each of its
// documents twice (about 6 % of the runner's CPU on the exam engine's
// answer path, inside the SQLite write transaction).
//
// lazyHandler defers With and WithGroup until a record is actually handled,
// so a disabled level costs a slice append.

import (
	"context"
	"log/slog"
)

type lazyHandler struct {
	base slog.Handler
	// ops are the With/WithGroup calls to apply, in order, before handling.
	ops []func(slog.Handler) slog.Handler
}

func newLazyHandler(base slog.Handler) slog.Handler { return &lazyHandler{base: base} }

func (h *lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.base.Enabled(ctx, level)
}

func (h *lazyHandler) Handle(ctx context.Context, r slog.Record) error {
	target := h.base
	for _, op := range h.ops {
		target = op(target)
	}
	return target.Handle(ctx, r)
}

func (h *lazyHandler) with(op func(slog.Handler) slog.Handler) slog.Handler {
	ops := make([]func(slog.Handler) slog.Handler, len(h.ops), len(h.ops)+1)
	copy(ops, h.ops)
	return &lazyHandler{base: h.base, ops: append(ops, op)}
}

func (h *lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(func(t slog.Handler) slog.Handler { return t.WithAttrs(attrs) })
}

func (h *lazyHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(func(t slog.Handler) slog.Handler { return t.WithGroup(name) })
}
