package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wcp-project/wcp/client"
)

func TestHealthz(t *testing.T) {
	t.Parallel()
	for body, ok := range map[string]bool{`{"status":"ok"}`: true, `{"status":"starting"}`: false, `ok`: false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) }))
		err := client.Healthz(context.Background(), srv.Client(), srv.URL)
		srv.Close()
		if (err == nil) != ok {
			t.Errorf("/healthz answering %s: %v", body, err)
		}
	}
	// A process that exited ends the wait at once, not at the timeout.
	exited := make(chan struct{})
	close(exited)
	start := time.Now()
	if err := client.WaitHealthy(context.Background(), "http://127.0.0.1:1", time.Minute, exited); err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("WaitHealthy after the process exited: %v after %v", err, time.Since(start))
	}
}
