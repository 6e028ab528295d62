package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wcp-project/wcp"
)

// WaitHealthy polls GET /healthz until it answers 200 {"status":"ok"}, the
// timeout passes, or exited is closed (the process died); nil exited means
// there is no process to watch.
func WaitHealthy(ctx context.Context, baseURL string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	for {
		last := Healthz(ctx, hc, baseURL)
		if last == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("the process exited before /healthz answered: %w", last)
		case <-ctx.Done():
			return fmt.Errorf("/healthz not ok within %v: %w", timeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Healthz asks GET /healthz once and returns nil when it answers
// 200 {"status":"ok"} (PROTOCOL.md §1).
func Healthz(ctx context.Context, hc *http.Client, baseURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+wcp.PathHealthz, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var v struct {
		Status string `json:"status"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) != nil || v.Status != "ok" {
		return fmt.Errorf("GET /healthz: %d %q", resp.StatusCode, body)
	}
	return nil
}
