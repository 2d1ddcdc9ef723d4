package emulator

import (
	"bytes"
	"encoding/json"
)

// A minimal zero-allocation reader of JSON values by field path, so that
// entries.list can evaluate a filter over a million stored LogEntries
// without decoding each one into maps (decoding dominated the scan).
// Inputs are valid JSON (the emulator wrote or accepted them as such).

func rawSkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// rawSkipString returns the index after the string starting at b[i] == '"'.
func rawSkipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// rawSkipValue returns the index after the value starting at b[i].
func rawSkipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return rawSkipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = rawSkipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}

// rawField returns the value of key in the JSON object obj.
func rawField(obj []byte, key string) ([]byte, bool) {
	i := rawSkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, false
	}
	i++
	for {
		i = rawSkipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return nil, false
		}
		end := rawSkipString(obj, i)
		k := obj[i+1 : end-1]
		i = rawSkipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return nil, false
		}
		i = rawSkipSpace(obj, i+1)
		vend := rawSkipValue(obj, i)
		if rawKeyEqual(k, key) {
			return obj[i:vend], true
		}
		i = rawSkipSpace(obj, vend)
		if i >= len(obj) || obj[i] != ',' {
			return nil, false
		}
		i++
	}
}

func rawKeyEqual(k []byte, key string) bool {
	if bytes.IndexByte(k, '\\') < 0 {
		return string(k) == key
	}
	var s string
	return json.Unmarshal(append(append([]byte{'"'}, k...), '"'), &s) == nil && s == key
}

// rawElems calls fn for each element of the JSON array arr until fn is true.
func rawElems(arr []byte, fn func([]byte) bool) bool {
	i := rawSkipSpace(arr, 1)
	for i < len(arr) && arr[i] != ']' {
		end := rawSkipValue(arr, i)
		if fn(arr[i:end]) {
			return true
		}
		i = rawSkipSpace(arr, end)
		if i < len(arr) && arr[i] == ',' {
			i = rawSkipSpace(arr, i+1)
		}
	}
	return false
}

// rawScalar renders a string, number or boolean leaf as text.
func rawScalar(v []byte) (string, bool) {
	if len(v) == 0 {
		return "", false
	}
	switch c := v[0]; {
	case c == '"':
		if bytes.IndexByte(v, '\\') < 0 {
			return string(v[1 : len(v)-1]), true
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	case c == 't' || c == 'f':
		return string(v), true
	case c == '-' || (c >= '0' && c <= '9'):
		return string(v), true
	}
	return "", false // null, object, array
}
