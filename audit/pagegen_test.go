package audit

import (
	"bytes"
	"strconv"
	"time"
)

// pageGen builds pages of entries from templates of each kind (a mint, the
// two BigQuery styles' insert and completion entries), stamping each with a
// unique insertId, timestamp and job ID.
type pageGen struct {
	templates [][]byte // with the placeholders below
	n         int
	buf       [][]byte
}

const (
	phID   = "INSERTID"
	phTime = "2099-01-01T00:00:00.000000Z"
	phJob  = "JOBID"
)

func newPageGen() *pageGen {
	admin, alice := sa("fedctl-admin"), sa("fedctl-alice")
	o := entryOpts{insertID: phID, principal: alice, via: []string{admin}}
	o.time, _ = time.Parse(time.RFC3339Nano, phTime)
	mint := o
	mint.principal, mint.via = admin, nil
	query := "SELECT o.order_id, o.customer_id, SUM(l.amount) AS total FROM `my-proj.sales.orders` o JOIN `my-proj.sales.lines` l USING (order_id) WHERE o.created >= '2024-01-01' GROUP BY 1, 2 ORDER BY total DESC LIMIT 100"
	tpl := []map[string]any{
		mintEntry(mint, alice),
		newStyleQuery(o, phJob, query, false, nil),
		newStyleQuery(o, phJob, query, true, nil),
		legacyQuery(o, phJob, query, false, nil),
		legacyQuery(o, phJob, query, true, map[string]any{"code": 7, "message": "Access Denied"}),
	}
	g := &pageGen{}
	for _, t := range tpl {
		b := mustJSON(t)
		// The timestamp template formats without trailing zeros; normalise.
		b = bytes.ReplaceAll(b, []byte(o.time.Format(time.RFC3339Nano)), []byte(phTime))
		g.templates = append(g.templates, b)
	}
	return g
}

// page returns the next size entries, reusing its buffers.
func (g *pageGen) page(size int) [][]byte {
	if cap(g.buf) < size {
		g.buf = make([][]byte, size)
	}
	out := g.buf[:size]
	for i := range out {
		t := g.templates[g.n%len(g.templates)]
		ts := base.Add(time.Duration(g.n) * time.Millisecond).Format("2006-01-02T15:04:05.000000Z")
		b := out[i][:0]
		b = replaceInto(b, t, g.n, ts)
		out[i] = b
		g.n++
	}
	return out
}

func replaceInto(dst, t []byte, n int, ts string) []byte {
	num := strconv.Itoa(n)
	for len(t) > 0 {
		i := bytes.IndexAny(t, "I2J")
		if i < 0 {
			return append(dst, t...)
		}
		dst = append(dst, t[:i]...)
		t = t[i:]
		switch {
		case bytes.HasPrefix(t, []byte(phID)):
			dst = append(dst, "ins"...)
			dst = append(dst, num...)
			t = t[len(phID):]
		case bytes.HasPrefix(t, []byte(phTime)):
			dst = append(dst, ts...)
			t = t[len(phTime):]
		case bytes.HasPrefix(t, []byte(phJob)):
			dst = append(dst, "job_"...)
			dst = append(dst, num...)
			t = t[len(phJob):]
		default:
			dst = append(dst, t[0])
			t = t[1:]
		}
	}
	return dst
}
