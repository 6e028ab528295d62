package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wcp-project/wcp"
)

// TestAnswerSizeBound checks that an answer at the bound is read whole and
// one byte more is a ProtocolError, not a truncated body that then fails
// to parse for a misleading reason.
func TestAnswerSizeBound(t *testing.T) {
	t.Parallel()
	const bound = 64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		n := bound
		if r.URL.Query().Get("over") != "" {
			n++
		}
		_, _ = w.Write([]byte(`"` + strings.Repeat("x", n-2) + `"`))
	}))
	t.Cleanup(srv.Close)
	c := New(srv.URL, nil)
	c.maxBody = bound
	resp, err := c.Do(context.Background(), http.MethodGet, "/", nil, nil)
	if err != nil || len(resp.Body) != bound {
		t.Fatalf("an answer at the bound: %v, %d bytes", err, len(resp.Body))
	}
	_, err = c.Do(context.Background(), http.MethodGet, "/?over=1", nil, nil)
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("an answer over the bound: %v, want a ProtocolError", err)
	}
}

// TestMaxResponseFitsTheLargestPage checks the bound against the contract:
// a full page of the longest bodies, every byte escaped, fits.
func TestMaxResponseFitsTheLargestPage(t *testing.T) {
	perMessage := len(`{"id":"","chat_id":"","seq":9007199254740991,"user_id":"","body":"","sent_at":"2026-01-01T00:00:00.000Z"},`) +
		3*wcp.MaxIDLen + 6*wcp.MaxBodyBytes
	if page := wcp.MaxPageLimit*perMessage + 64; page > MaxResponseBytes {
		t.Fatalf("the largest legal page is %d bytes, over MaxResponseBytes %d", page, MaxResponseBytes)
	}
}
