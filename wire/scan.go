package wire

import (
	"math"
	"strconv"
)

// Allocation-free counterparts of ParsePacket and EventFrame for readers
// and writers that see every packet of a busy connection (the load
// generator's sessions): they work on byte slices in place and never copy.
// Their tests hold them to the same grammar as ParsePacket and EventFrame.

// SocketPacket splits an Engine.IO message frame ("4<type>...") into its
// Socket.IO packet type and the rest of the packet; ok is false for any
// other frame. rest aliases frame.
func SocketPacket(frame []byte) (typ byte, rest []byte, ok bool) {
	if len(frame) < 2 || frame[0] != EngineMessage {
		return 0, nil, false
	}
	return frame[1], frame[2:], true
}

// CutID splits the ack id off the front of a packet's remainder (after its
// type and namespace): "12[...]" gives 12 and "[...]". ok is false when b
// does not start with a digit or the id overflows a uint64. rest aliases b.
func CutID(b []byte) (id uint64, rest []byte, ok bool) {
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if id > (math.MaxUint64-d)/10 {
			return 0, b, false
		}
		id = id*10 + d
	}
	if i == 0 {
		return 0, b, false
	}
	return id, b[i:], true
}

// AppendEventHead appends the head of EventFrame(rawArray, &id), the
// Engine.IO message and Socket.IO EVENT types and the ack id, to dst; the
// caller appends the event's JSON array.
func AppendEventHead(dst []byte, id uint64) []byte {
	dst = append(dst, EngineMessage, Event)
	return strconv.AppendUint(dst, id, 10)
}
