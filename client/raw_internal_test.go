package client

import (
	"testing"

	"github.com/wcp-project/wcp"
)

func TestParseConnectError(t *testing.T) {
	tests := []struct {
		in   string
		code wcp.Code
	}{
		{`{"message":"expired","data":{"code":"connection_string_expired"}}`, wcp.CodeConnectionStringExpired},
		{`{"message":"no","data":{}}`, ""},
		{`{"message":"no"}`, ""},
		{`"just text"`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		err := ParseConnectError([]byte(tt.in))
		if err == nil {
			t.Fatalf("%s: no error", tt.in)
		}
		if got := wcp.ErrorCode(err); got != tt.code {
			t.Errorf("%s: code %q, want %q (%v)", tt.in, got, tt.code, err)
		}
	}
}

func FuzzParseConnectError(f *testing.F) {
	for _, s := range []string{`{"message":"m","data":{"code":"forbidden"}}`, `{"data":null}`, `[1]`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if ParseConnectError(b) == nil {
			t.Fatal("a CONNECT_ERROR payload parsed to no error")
		}
	})
}

func TestSocketURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":     "ws://127.0.0.1:8080/socket.io/?EIO=4&transport=websocket",
		"https://h/base/":           "wss://h/base/socket.io/?EIO=4&transport=websocket",
		"ws://h":                    "ws://h/socket.io/?EIO=4&transport=websocket",
		"http://h:1/?ignored=query": "ws://h:1/socket.io/?EIO=4&transport=websocket",
	} {
		got, err := SocketURL(in)
		if err != nil || got != want {
			t.Errorf("SocketURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := SocketURL("ftp://h"); err == nil {
		t.Error("SocketURL accepted ftp://")
	}
}
