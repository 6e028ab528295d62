package wcp_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/wcp-project/wcp"
)

type vector struct {
	Name          string `json:"name"`
	MessageKey    string `json:"message_key"`
	ChatID        string `json:"chat_id"`
	SessionID     string `json:"session_id"`
	Nonce         int64  `json:"nonce"`
	Body          string `json:"body"`
	SignedText    string `json:"signed_text"`
	MessageString string `json:"message_string"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors in testdata/vectors.json")
	}
	return file.Vectors
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if got := string(wcp.SignedText(v.ChatID, v.SessionID, v.Nonce, v.Body)); got != v.SignedText {
				t.Errorf("signed text = %q, want %q", got, v.SignedText)
			}
			got, err := wcp.Sign(v.MessageKey, v.ChatID, v.SessionID, v.Nonce, v.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got != v.MessageString {
				t.Errorf("Sign = %s, want %s", got, v.MessageString)
			}
			s, _ := wcp.NewSignerFromKey(v.MessageKey)
			if !s.Verify(v.ChatID, v.SessionID, v.Nonce, v.Body, v.MessageString) {
				t.Error("Verify refused the vector's own message_string")
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	v := loadVectors(t)[0]
	s, err := wcp.NewSignerFromKey(v.MessageKey)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	tests := []struct {
		name                  string
		chat, sess, body, mac string
		nonce                 int64
	}{
		{"upper-case hex", v.ChatID, v.SessionID, v.Body, strings.ToUpper(v.MessageString), v.Nonce},
		{"short", v.ChatID, v.SessionID, v.Body, v.MessageString[:63], v.Nonce},
		{"long", v.ChatID, v.SessionID, v.Body, v.MessageString + "0", v.Nonce},
		{"empty", v.ChatID, v.SessionID, v.Body, "", v.Nonce},
		{"non-hex", v.ChatID, v.SessionID, v.Body, "zz" + v.MessageString[2:], v.Nonce},
		{"flipped first digit", v.ChatID, v.SessionID, v.Body, flip(v.MessageString, 0), v.Nonce},
		{"flipped last digit", v.ChatID, v.SessionID, v.Body, flip(v.MessageString, 63), v.Nonce},
		{"other body", v.ChatID, v.SessionID, v.Body + "!", v.MessageString, v.Nonce},
		{"other nonce", v.ChatID, v.SessionID, v.Body, v.MessageString, v.Nonce + 1},
		{"other chat", v.ChatID + "x", v.SessionID, v.Body, v.MessageString, v.Nonce},
		{"other session", v.ChatID, v.SessionID + "x", v.Body, v.MessageString, v.Nonce},
	}
	for _, tt := range tests {
		if s.Verify(tt.chat, tt.sess, tt.nonce, tt.body, tt.mac) {
			t.Errorf("%s: Verify accepted a wrong message_string", tt.name)
		}
	}
}

func TestDecodeKey(t *testing.T) {
	for _, bad := range []string{"", "AAEC", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "!!!!", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8AAA"} {
		if _, err := wcp.DecodeKey(bad); err == nil {
			t.Errorf("DecodeKey(%q) accepted a malformed key", bad)
		}
	}
}

func TestValidID(t *testing.T) {
	for s, want := range map[string]bool{
		"a": true, "A-z_09": true, strings.Repeat("x", 64): true,
		"": false, strings.Repeat("x", 65): false, "a b": false, "é": false, "a/b": false,
	} {
		if got := wcp.ValidID(s); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", s, got, want)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	v := loadVectors(b)[0]
	s, _ := wcp.NewSignerFromKey(v.MessageKey)
	b.ReportAllocs()
	for b.Loop() {
		s.Verify(v.ChatID, v.SessionID, v.Nonce, v.Body, v.MessageString)
	}
}
