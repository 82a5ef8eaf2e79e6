package main

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/tenantless/tenantless/mockidp/idp"
)

// watchInterval is how often --watch looks at the tenant's files. Polling their modification
// time and size costs a few stat calls a second and needs no dependency or OS-specific
// notification API; it also sees files on the bind mounts of containers, where inotify events
// often do not arrive.
const watchInterval = time.Second

// openedFS records the names a loader opens, so that --watch knows the tenant file and every
// file it names (signing keys), whatever they are.
type openedFS struct {
	fs.FS
	mu     sync.Mutex
	opened []string
}

func (o *openedFS) Open(name string) (fs.File, error) {
	o.mu.Lock()
	if !slices.Contains(o.opened, name) {
		o.opened = append(o.opened, name)
	}
	o.mu.Unlock()
	return o.FS.Open(name)
}

// files are the paths opened, relative to dir.
func (o *openedFS) files(dir string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, len(o.opened))
	for i, name := range o.opened {
		out[i] = filepath.Join(dir, filepath.FromSlash(name))
	}
	return out
}

// fileStamp is what a poll compares: a change of either is an edit.
type fileStamp struct {
	modTime time.Time
	size    int64
	missing bool
}

func stamps(paths []string) map[string]fileStamp {
	out := make(map[string]fileStamp, len(paths))
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			out[p] = fileStamp{missing: true}
			continue
		}
		out[p] = fileStamp{modTime: fi.ModTime(), size: fi.Size()}
	}
	return out
}

// watcher tells when the files of the last load change.
type watcher struct {
	files func() []string
	seen  map[string]fileStamp
}

func newWatcher(files func() []string) *watcher {
	return &watcher{files: files, seen: stamps(files())}
}

// changed reports whether a file changed since the last call (or since newWatcher).
func (w *watcher) changed() bool {
	now := stamps(w.files())
	changed := len(now) != len(w.seen)
	for p, st := range now {
		if w.seen[p] != st {
			changed = true
		}
	}
	w.seen = now
	return changed
}

// reloadOnSignals reloads the tenant on SIGHUP and, with w, when its files change, until ctx
// ends. The outcome goes to the log: a refused file leaves the running tenant.
func reloadOnSignals(ctx context.Context, server *idp.Server, w *watcher, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var tick <-chan time.Time
	if w != nil {
		t := time.NewTicker(watchInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		var why string
		select {
		case <-ctx.Done():
			return
		case <-hup:
			why = "SIGHUP"
		case <-tick:
			if !w.changed() {
				continue
			}
			why = "a tenant file changed"
		}
		reload(server, why, logger)
		if w != nil {
			w.changed() // the files of this load are the ones to watch from now on
		}
	}
}

// reload reloads the tenant and logs the outcome; idp logs the problems of a refused file.
func reload(server *idp.Server, why string, logger *slog.Logger) {
	if err := server.Reload(); err != nil {
		logger.Warn("tenant reload refused; the running tenant is unchanged", slog.String("trigger", why), slog.String("problems", err.Error()))
		return
	}
	t := server.Tenant()
	logger.Info("tenant reloaded", slog.String("trigger", why), slog.String("tenant", t.Name),
		slog.Int("users", t.UserCount()), slog.Int("applications", len(t.Clients())))
}
