package wire

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParsePacket(t *testing.T) {
	tests := []struct {
		in   string
		typ  byte
		id   int64 // -1 for none
		data string
	}{
		{`0{"sid":"x"}`, Connect, -1, `{"sid":"x"}`},
		{`4{"message":"no","data":{"code":"bad_request"}}`, ConnectError, -1, `{"message":"no","data":{"code":"bad_request"}}`},
		{`2["message",{"seq":1}]`, Event, -1, `["message",{"seq":1}]`},
		{`312[{"ok":true}]`, Ack, 12, `[{"ok":true}]`},
		{`1`, Disconnect, -1, ``},
		{`2/admin,7["x"]`, Event, 7, `["x"]`},
		{`51-["x",{"_placeholder":true,"num":0}]`, BinaryEvent, -1, `["x",{"_placeholder":true,"num":0}]`},
	}
	for _, tt := range tests {
		p, err := ParsePacket(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if p.Type != tt.typ || string(p.Data) != tt.data {
			t.Errorf("%s: got type %c data %s", tt.in, p.Type, p.Data)
		}
		if (p.ID == nil) != (tt.id < 0) || (p.ID != nil && int64(*p.ID) != tt.id) {
			t.Errorf("%s: id %v, want %d", tt.in, p.ID, tt.id)
		}
	}
	for _, bad := range []string{"", "9", "x[]", "2" + "99999999999999999999999[]"} {
		if _, err := ParsePacket(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParsePacket(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// TestFramesRoundTrip checks that what the encoders write, ParsePacket
// reads back.
func TestFramesRoundTrip(t *testing.T) {
	id := uint64(42)
	data, err := EncodeEvent("message", map[string]any{"nonce": 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		frame string
		typ   byte
		id    *uint64
	}{
		{EventFrame(data, &id), Event, &id},
		{EventFrame(data, nil), Event, nil},
		{AckFrame(id, `[{"ok":true}]`), Ack, &id},
		{ConnectFrame(`{"a":1}`), Connect, nil},
		{DisconnectFrame, Disconnect, nil},
	} {
		if tt.frame[0] != EngineMessage {
			t.Fatalf("%q is not an Engine.IO message", tt.frame)
		}
		p, err := ParsePacket(tt.frame[1:])
		if err != nil || p.Type != tt.typ || (p.ID == nil) != (tt.id == nil) || (p.ID != nil && *p.ID != *tt.id) {
			t.Errorf("%q: parsed %+v, %v", tt.frame, p, err)
		}
	}
	p, _ := ParsePacket(EventFrame(data, nil)[1:])
	name, args, err := DecodeEvent(p.Data)
	if err != nil || name != "message" || len(args) != 1 || string(args[0]) != `{"nonce":1}` {
		t.Errorf("DecodeEvent = %q %s %v", name, args, err)
	}
	if _, _, err := DecodeEvent(json.RawMessage(`[1]`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("an event named by a number decoded: %v", err)
	}
}

func TestPayload(t *testing.T) {
	frames := []string{"2", `42["a","b\u001e"]`, "6"}
	got := SplitPayload(JoinPayload(frames))
	if len(got) != 3 || got[0] != "2" || got[2] != "6" {
		t.Errorf("round trip = %q", got)
	}
	if SplitPayload("") != nil {
		t.Error("an empty body holds no packet")
	}
}

func TestParseOpen(t *testing.T) {
	o, err := ParseOpen(`0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
	if err != nil || o.SID != "abc" || o.PingInterval != 25000 || o.PingTimeout != 20000 || o.MaxPayload != 1000000 {
		t.Errorf("ParseOpen = %+v, %v", o, err)
	}
	for _, bad := range []string{"", `0{}`, `0{"sid":`, `40{"sid":"x"}`} {
		if _, err := ParseOpen(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseOpen(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestEndpointURL(t *testing.T) {
	for _, tt := range []struct{ in, transport, want string }{
		{"http://127.0.0.1:8080", WebSocket, "ws://127.0.0.1:8080/socket.io/?EIO=4&transport=websocket"},
		{"https://h/base/", WebSocket, "wss://h/base/socket.io/?EIO=4&transport=websocket"},
		{"ws://h", WebSocket, "ws://h/socket.io/?EIO=4&transport=websocket"},
		{"http://h:1/?ignored=query", Polling, "http://h:1/socket.io/?EIO=4&transport=polling"},
		{"wss://h", Polling, "https://h/socket.io/?EIO=4&transport=polling"},
	} {
		got, err := EndpointURL(tt.in, tt.transport)
		if err != nil || got != tt.want {
			t.Errorf("EndpointURL(%q, %s) = %q, %v; want %q", tt.in, tt.transport, got, err, tt.want)
		}
	}
	if _, err := EndpointURL("ftp://h", WebSocket); err == nil {
		t.Error("ftp:// accepted")
	}
	if _, err := EndpointURL("http://h", "webtransport"); err == nil {
		t.Error("an unknown transport accepted")
	}
}

func FuzzParsePacket(f *testing.F) {
	for _, s := range []string{`2["message",{}]`, `312[{"ok":true}]`, `2/x,`, `51-`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePacket(s)
		if err == nil && (p.Type < Connect || p.Type > BinaryAck) {
			t.Fatalf("%q parsed to type %q", s, p.Type)
		}
	})
}
