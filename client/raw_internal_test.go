package client

import "testing"

func TestParseRawPacket(t *testing.T) {
	tests := []struct {
		in   string
		typ  byte
		id   int64 // -1 for none
		data string
	}{
		{`0{"sid":"x"}`, PacketConnect, -1, `{"sid":"x"}`},
		{`4{"message":"no","data":{"code":"bad_request"}}`, PacketConnectError, -1, `{"message":"no","data":{"code":"bad_request"}}`},
		{`2["message",{"seq":1}]`, PacketEvent, -1, `["message",{"seq":1}]`},
		{`312[{"ok":true}]`, PacketAck, 12, `[{"ok":true}]`},
		{`1`, PacketDisconnect, -1, ``},
		{`2/admin,7["x"]`, PacketEvent, 7, `["x"]`},
	}
	for _, tt := range tests {
		p, err := parseRawPacket(tt.in)
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
}
