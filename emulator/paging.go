package emulator

import (
	"encoding/base64"
	"sort"
	"strconv"
)

// Pagination as Google does it: an opaque nextPageToken, empty on the last
// page. The token names the first key of the next page (not an offset), so
// a listing stays consistent when items are added or deleted between pages.

// pageSize parses the pageSize query parameter: def when absent or 0, max
// when larger (Google caps rather than rejects), 400 when not a number or
// negative.
func (c *call) pageSize(def, max int) (int, error) {
	v := c.query("pageSize")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errInvalid("Invalid value at 'page_size' (TYPE_INT32), \"" + v + "\"")
	}
	switch {
	case n < 0:
		return 0, errInvalid("Requested page size cannot be negative.")
	case n == 0:
		return def, nil
	case n > max:
		return max, nil
	}
	return n, nil
}

// page returns the keys of one page of the sorted keys, starting at the
// pageToken query parameter, and the token of the next page ("" at the end).
func (c *call) page(keys []string, size int) (page []string, next string, err error) {
	if !sort.StringsAreSorted(keys) {
		sort.Strings(keys)
	}
	start := 0
	if tok := c.query("pageToken"); tok != "" {
		b, derr := base64.RawURLEncoding.DecodeString(tok)
		if derr != nil || len(b) == 0 {
			return nil, "", errInvalid("The provided page token is invalid.")
		}
		start = sort.SearchStrings(keys, string(b))
	}
	end := min(start+size, len(keys))
	if end < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(keys[end]))
	}
	return keys[start:end], next, nil
}
