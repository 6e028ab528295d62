package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// TestRefusalsAreTyped checks that the contract's error body becomes a
// *wcp.Error with its status, and anything else a *client.ProtocolError.
func TestRefusalsAreTyped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode wcp.Code
		wantProt bool
	}{
		{"contract body", 403, `{"error":{"code":"forbidden","message":"not the owner"}}`, wcp.CodeForbidden, false},
		{"plain text", 403, `forbidden`, "", true},
		{"json without code", 400, `{"error":{"message":"x"}}`, "", true},
		{"success status but wrong one", 200, `{"id":"x"}`, "", true},
		{"empty", 500, ``, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != "Bearer tok" {
					t.Errorf("Authorization = %q, want the bearer token", got)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			_, err := client.New(srv.URL, nil).WithToken("tok").CreateChat(context.Background(), "w", "t")
			if err == nil {
				t.Fatal("CreateChat succeeded on a refusal")
			}
			var pe *client.ProtocolError
			if got := errors.As(err, &pe); got != tt.wantProt {
				t.Fatalf("ProtocolError = %v, want %v (err %v)", got, tt.wantProt, err)
			}
			if tt.wantProt {
				return
			}
			if wcp.ErrorCode(err) != tt.wantCode || !client.IsStatus(err, tt.status) {
				t.Errorf("err = %v, want code %s with status %d", err, tt.wantCode, tt.status)
			}
			if !errors.Is(err, &wcp.Error{Code: tt.wantCode}) {
				t.Errorf("errors.Is does not match code %s", tt.wantCode)
			}
		})
	}
}

func TestConnectionStringBody(t *testing.T) {
	t.Parallel()
	bodies := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 100)
		n, _ := r.Body.Read(buf)
		bodies <- string(buf[:n])
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"chat_id":"c","connection_string":"s","expires_at":"2026-01-01T00:00:00.000Z"}`))
	}))
	t.Cleanup(srv.Close)
	c := client.New(srv.URL, nil)
	for _, tt := range []struct {
		ttl  int
		want string
	}{{0, `{}`}, {60, `{"ttl_seconds":60}`}} {
		cs, err := c.ConnectionString(context.Background(), "c", tt.ttl)
		if err != nil {
			t.Fatal(err)
		}
		if cs.ConnectionString != "s" {
			t.Errorf("connection string = %q", cs.ConnectionString)
		}
		if got := <-bodies; got != tt.want {
			t.Errorf("ttl %d: body %s, want %s", tt.ttl, got, tt.want)
		}
	}
}
