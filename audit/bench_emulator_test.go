//go:build unix

package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// BenchmarkTailEmulator is the whole `audit tail` read path: entries.list
// over HTTP in pages of 1000 from an emulator holding a million entries,
// each page streamed and parsed (stream: NewReader, what the commands use)
// or decoded by the generated Logging client first (client: the path
// before). The emulator runs in a child process so that entries/cpu-s is
// fedctl's own CPU (GOMAXPROCS=1, GC included); the emulator's is reported
// beside it (emu-cpu-s/Mentry) and folded into e2e-entries/cpu-s.
//
//	go test ./audit -run '^$' -bench TailEmulator -benchtime 1x
//
// FEDCTL_AUDIT_BENCH_ENTRIES=N seeds N entries instead.
func BenchmarkTailEmulator(b *testing.B) {
	total := benchEntries
	if n, err := strconv.Atoi(os.Getenv(benchEntriesEnv)); err == nil && n > 0 {
		total = n
	}
	emu := startEmulatorProcess(b, total)
	for _, path := range []struct {
		name   string
		reader func(c *gcp.Client) *Reader
	}{
		{"stream", NewReader},
		{"client", func(c *gcp.Client) *Reader { return &Reader{Client: c} }},
	} {
		b.Run(path.name, func(b *testing.B) {
			ctx := context.Background()
			c, err := gcp.New(ctx, gcp.Config{Endpoint: emu.url, AccessToken: emu.token, Retry: gcp.RetryPolicy{Attempts: 1}})
			if err != nil {
				b.Fatal(err)
			}
			r := path.reader(c)
			r.PageSize = benchPageSize
			sel := Selection{Project: testProject}
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

			heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			var peak uint64
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			allocStart := ms.TotalAlloc
			cpu0, emu0, n := cpuTime(), emu.cpu(b), 0
			b.ResetTimer()
			for b.Loop() {
				read := 0
				err := r.Read(ctx, sel, func(ev *Event) error {
					if read++; read%1000 == 0 {
						metrics.Read(heap)
						peak = max(peak, heap[0].Value.Uint64())
					}
					return nil
				})
				if err != nil || read != total {
					b.Fatalf("read %d of %d entries: %v", read, total, err)
				}
				n += read
			}
			b.StopTimer()
			cpu, emuCPU := cpuTime()-cpu0, emu.cpu(b)-emu0
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entries/s")
			b.ReportMetric(float64(n)/cpu.Seconds(), "entries/cpu-s")
			b.ReportMetric(float64(n)/(cpu+emuCPU).Seconds(), "e2e-entries/cpu-s")
			b.ReportMetric(emuCPU.Seconds()/float64(n)*1e6, "emu-cpu-s/Mentry")
			b.ReportMetric(float64(ms.TotalAlloc-allocStart)/float64(n), "B/entry")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

const benchEntriesEnv = "FEDCTL_AUDIT_BENCH_ENTRIES"

// emuProcessEnv tells the test binary, run again as a child, to serve an
// emulator with that many entries (TestEmulatorProcess).
const emuProcessEnv = "FEDCTL_AUDIT_BENCH_EMULATOR_ENTRIES"

type emuProcess struct {
	url, token string
	in         io.Writer
	out        *bufio.Reader
}

// startEmulatorProcess runs this test binary as an emulator holding n
// generated entries and waits until it listens.
func startEmulatorProcess(b *testing.B, n int) *emuProcess {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmulatorProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), emuProcessEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		in.Close() // the child stops at the end of its input
		cmd.Wait()
	})
	p := &emuProcess{in: in, out: bufio.NewReader(out)}
	line, err := p.out.ReadString('\n')
	if f := strings.Fields(line); err == nil && len(f) == 2 {
		p.url, p.token = f[0], f[1]
		return p
	}
	b.Fatalf("emulator process: %q, %v", line, err)
	return nil
}

// cpu asks the child for the CPU time it has used.
func (p *emuProcess) cpu(b *testing.B) time.Duration {
	b.Helper()
	fmt.Fprintln(p.in, "cpu")
	line, err := p.out.ReadString('\n')
	ns, perr := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil || perr != nil {
		b.Fatalf("emulator process cpu: %q, %v", line, err)
	}
	return time.Duration(ns)
}

// TestEmulatorProcess is BenchmarkTailEmulator's child, not a test: it
// serves an emulator with generated entries, prints "URL TOKEN", answers
// each input line with its CPU time in nanoseconds, and ends with its
// input. (The token is the emulator's own, passed over a pipe.)
func TestEmulatorProcess(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(emuProcessEnv))
	if n <= 0 {
		t.Skip("the emulator child of BenchmarkTailEmulator")
	}
	srv, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	g := newPageGen()
	for done := 0; done < n; done += benchPageSize {
		page := g.page(min(benchPageSize, n-done))
		raws := make([]json.RawMessage, len(page))
		for i, raw := range page {
			raws[i] = bytes.Clone(raw)
		}
		srv.AppendLogEntries(raws...)
	}
	url, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%s %s\n", url, srv.OperatorToken())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Println(int64(cpuTime()))
	}
}
