// Command refserve runs the reference server in a process of its own, so
// that the load generator's CPU can be measured apart from the server's
// (wcp load with no --target shares one process). Development tool only.
//
//	go run ./load/internal/refserve -addr 127.0.0.1:8080
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/wcp-project/wcp/reference"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	db := flag.String("db", "", "database file (default: a temporary one)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	path := *db
	if path == "" {
		dir, err := os.MkdirTemp("", "refserve-*")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "wcp.db")
	}
	srv, err := reference.Open(ctx, reference.Config{Addr: *addr, DBPath: path, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(srv.URL())
	<-ctx.Done()
	srv.Close()
}
