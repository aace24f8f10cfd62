package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// RedactSecrets wraps a log handler so that no record carries any of the
// secrets (the bot token, a password): they are replaced by "***" in the
// message and in every attribute, errors included.
func RedactSecrets(h slog.Handler, secrets ...string) slog.Handler {
	var keep []string
	for _, s := range secrets {
		if s != "" {
			keep = append(keep, s)
		}
	}
	return &redactHandler{h: h, secrets: keep}
}

// redactHandler removes the secrets from every log record.
type redactHandler struct {
	h       slog.Handler
	secrets []string
}

func (r *redactHandler) clean(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, "***")
	}
	return s
}

func (r *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, r.clean(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.scrub(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r *redactHandler) scrub(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.clean(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		out := make([]any, len(attrs))
		for i, g := range attrs {
			out[i] = r.scrub(g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, r.clean(err.Error()))
		}
		return slog.String(a.Key, r.clean(fmt.Sprint(v.Any())))
	}
	return a
}

func (r *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = r.scrub(a)
	}
	return &redactHandler{h: r.h.WithAttrs(out), secrets: r.secrets}
}

func (r *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: r.h.WithGroup(name), secrets: r.secrets}
}

// redact returns err's text without the token.
func redact(err error, token string) string {
	if err == nil {
		return "no answer"
	}
	if token == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), token, "***")
}
