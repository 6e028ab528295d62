package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

// walkXML parses data as strict XML 1.0, failing the test on the first
// error (encoding/xml's decoder refuses forbidden characters, bad UTF-8
// and unbalanced tags), and calls visit with every start element.
func walkXML(t *testing.T, data []byte, visit func(xml.StartElement)) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			line, col := dec.InputPos()
			t.Fatalf("not well-formed XML at %d:%d: %v", line, col, err)
		}
		if se, ok := tok.(xml.StartElement); ok && visit != nil {
			visit(se)
		}
	}
}

// checkXMLChars fails the test on any byte sequence XML 1.0 cannot carry:
// invalid UTF-8 or a forbidden code point, whether or not the decoder
// looks at that part of the document.
func checkXMLChars(t *testing.T, data []byte) {
	t.Helper()
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			t.Fatalf("invalid UTF-8 at byte %d: %q", i, around(data, i))
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0xFFFE, r == 0xFFFF:
			t.Fatalf("character %U, forbidden in XML 1.0, at byte %d: %q", r, i, around(data, i))
		}
		i += n
	}
}

func around(data []byte, i int) []byte {
	return data[max(0, i-40):min(len(data), i+40)]
}

// attr returns the value of se's attribute name, and whether it has one.
func attr(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}
