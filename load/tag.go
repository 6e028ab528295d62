package load

import "strconv"

// Body tag: "L<intended ns>F<0|1>;" then padding. It carries the intended
// send time to every receiver, so delivery latency needs no lookup table.
func appendTag(b []byte, at int64, forged bool) []byte {
	b = append(b, 'L')
	b = strconv.AppendInt(b, at, 10)
	if forged {
		return append(b, "F1;"...)
	}
	return append(b, "F0;"...)
}

// minBody is the longest tag: the smallest body that can carry it.
const minBody = 1 + 19 + 3

func parseTag(b []byte) (at int64, forged bool, ok bool) {
	if len(b) < 5 || b[0] != 'L' {
		return 0, false, false
	}
	i := 1
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		at = at*10 + int64(b[i]-'0')
		i++
	}
	if i == 1 || i+2 >= len(b) || b[i] != 'F' || b[i+2] != ';' {
		return 0, false, false
	}
	return at, b[i+1] == '1', true
}
