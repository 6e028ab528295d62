package client_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/wcp-project/wcp/client"
)

func TestRawConnRefusesNonObjectAuth(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.DialRaw(ctx, w.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Connect(ctx, `{"chat_id":5}`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != client.PacketConnectError {
		t.Fatalf("packet type %c, want CONNECT_ERROR", p.Type)
	}
	var body struct {
		Data struct {
			Code string `json:"code"`
		} `json:"data"`
	}
	if err := json.Unmarshal(p.Data, &body); err != nil || body.Data.Code != "bad_request" {
		t.Fatalf("connect error %s (%v), want code bad_request", p.Data, err)
	}
}
