package transcript

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"
)

// RFC 6455 opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// maxFramePayload is the largest payload length taken as a frame: beyond
// it the length field is garbage, not a frame still arriving.
const maxFramePayload = 1 << 40

// wsFrame is one websocket frame read off a stream, unmasked.
type wsFrame struct {
	fin        bool
	compressed bool // RSV1: permessage-deflate
	op         byte
	payload    []byte
	n          int // bytes of the stream it took
}

// readWSFrame reads the frame at the front of b (RFC 6455 section 5.2).
// The client's frames are masked; the payload returned is a copy, unmasked.
func readWSFrame(b []byte) (wsFrame, error) {
	if len(b) < 2 {
		return wsFrame{}, errIncomplete
	}
	f := wsFrame{fin: b[0]&0x80 != 0, compressed: b[0]&0x40 != 0, op: b[0] & 0x0f}
	masked := b[1]&0x80 != 0
	length := uint64(b[1] & 0x7f)
	i := 2
	switch length {
	case 126:
		if len(b) < i+2 {
			return wsFrame{}, errIncomplete
		}
		length = uint64(binary.BigEndian.Uint16(b[i:]))
		i += 2
	case 127:
		if len(b) < i+8 {
			return wsFrame{}, errIncomplete
		}
		length = binary.BigEndian.Uint64(b[i:])
		i += 8
	}
	if length > maxFramePayload {
		return wsFrame{}, errMalformed
	}
	var key []byte
	if masked {
		if len(b) < i+4 {
			return wsFrame{}, errIncomplete
		}
		key = b[i : i+4]
		i += 4
	}
	if uint64(len(b)-i) < length {
		return wsFrame{}, errIncomplete
	}
	f.payload = bytes.Clone(b[i : i+int(length)])
	if key != nil {
		for j := range f.payload {
			f.payload[j] ^= key[j%4]
		}
	}
	f.n = i + int(length)
	return f, nil
}

// wsMessage is a data message being put together from its fragments.
type wsMessage struct {
	at         time.Time // when its first frame began to arrive
	op         byte
	compressed bool
	data       []byte
	fragments  int
}

// describeControl is the compact text of a control frame (or one with an
// opcode RFC 6455 reserves).
func describeControl(f wsFrame) string {
	switch f.op {
	case opClose:
		if len(f.payload) < 2 {
			return "[close]"
		}
		code := binary.BigEndian.Uint16(f.payload)
		if len(f.payload) == 2 {
			return fmt.Sprintf("[close %d]", code)
		}
		return fmt.Sprintf("[close %d %q]", code, f.payload[2:])
	case opPing, opPong:
		name := "[ping]"
		if f.op == opPong {
			name = "[pong]"
		}
		if len(f.payload) == 0 {
			return name
		}
		return name + " " + string(f.payload)
	}
	return fmt.Sprintf("[opcode %#x, %d bytes] %s", f.op, len(f.payload), f.payload)
}

// maxInflated bounds what a compressed message or body may inflate to: a
// frame shows 4 KiB of it, and a secret is in the first few hundred bytes.
const maxInflated = 1 << 20

// inflate undoes permessage-deflate (RFC 7692) for a message compressed on
// its own. A message that refers to an earlier one (context takeover) does
// not inflate, and ok is false.
func inflate(data []byte) (string, bool) {
	// The sender removed the final empty block's tail; an empty stored
	// final block after it ends the stream.
	tail := []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}
	r := flate.NewReader(io.MultiReader(bytes.NewReader(data), bytes.NewReader(tail)))
	defer r.Close()
	var out strings.Builder
	if _, err := io.Copy(&out, io.LimitReader(r, maxInflated)); err != nil {
		return "", false
	}
	return out.String(), true
}
