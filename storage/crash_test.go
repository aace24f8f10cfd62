package storage_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/storetest"
	"github.com/esimbot/esimbot/storage"
)

// crashEnv names the database a child of TestCrash writes to.
const crashEnv = "ESIMBOT_STORAGE_CRASH_DB"

// crashWriters is how many goroutines of the child write at once, each
// with its own chat and user.
const crashWriters = 4

// rank orders the states the child moves a sale through.
var rank = map[flows.SaleState]int{flows.SaleConfirmed: 0, flows.SaleAssigning: 1, flows.SaleAssigned: 2}

// TestCrash runs a child process (this test binary) that writes sales and
// conversation moves in a loop and reports each commit on stdout, kills it
// with SIGKILL at a random moment, and checks that the file opens, passes
// Check, and holds every reported commit with its index entries, again and
// again on the same file.
func TestCrash(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(t, path)
		return
	}
	if testing.Short() {
		t.Skip("kills child processes: not with -short")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	path := filepath.Join(t.TempDir(), "crash.db")
	states := map[string]flows.SaleState{} // ref → last state reported
	iccids := map[string]string{}          // ref → ICCID reported
	versions := map[flows.ChatID]uint64{}  // chat → last version reported
	const rounds = 24
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path, "ESIMBOT_STORAGE_CRASH_ROUND="+strconv.Itoa(round))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		// Kill it at a random moment once it has opened the file: before,
		// during or between commits.
		hung := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
		opened := false
		for line := range lines {
			if opened = line == "open"; opened {
				break
			}
		}
		hung.Stop()
		if !opened {
			cmd.Wait()
			t.Fatalf("round %d: the child ended before opening the file", round)
		}
		time.Sleep(time.Duration(rng.IntN(100_000)) * time.Microsecond) // the random moment
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		var reported []string
		for line := range lines { // until the pipe closes
			reported = append(reported, line)
		}
		cmd.Wait()
		for _, line := range reported {
			f := strings.Fields(line)
			switch {
			case len(f) == 3 && f[0] == "sale":
				states[f[1]] = flows.SaleState(f[2])
			case len(f) == 3 && f[0] == "iccid":
				iccids[f[1]] = f[2]
			case len(f) == 3 && f[0] == "conversation":
				chat, _ := strconv.ParseInt(f[1], 10, 64)
				v, _ := strconv.ParseUint(f[2], 10, 64)
				versions[flows.ChatID(chat)] = v
			case strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "---") || strings.HasPrefix(line, "    "):
				t.Fatalf("round %d: the child failed:\n%s", round, strings.Join(reported, "\n"))
			}
		}
		t.Logf("round %d: killed after %d commits reported", round, len(reported))
		checkCrashed(t, round, path, states, iccids, versions)
	}
	if len(states) < rounds {
		t.Errorf("only %d sales reported in %d rounds", len(states), rounds)
	}
}

// checkCrashed opens the file a child was killed writing and checks it.
func checkCrashed(t *testing.T, round int, path string, states map[string]flows.SaleState, iccids map[string]string, versions map[flows.ChatID]uint64) {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatalf("round %d: open after the crash: %v", round, err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	inState := map[flows.SaleState][]string{}
	for _, state := range []flows.SaleState{flows.SaleConfirmed, flows.SaleAssigning, flows.SaleAssigned} {
		sales, err := st.SalesInState(ctx, state)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sales {
			inState[state] = append(inState[state], s.Ref)
		}
	}
	byUser := map[flows.UserID][]string{}
	for user := range flows.UserID(crashWriters) {
		sales, err := st.SalesByUser(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sales {
			byUser[user] = append(byUser[user], s.Ref)
		}
	}
	for ref, reported := range states {
		s, err := st.Sale(ctx, ref)
		if err != nil {
			t.Fatalf("round %d: a reported sale: %v", round, err)
		}
		if rank[s.State] < rank[reported] {
			t.Fatalf("round %d: sale %s is %s, reported %s", round, ref, s.State, reported)
		}
		if !slices.Contains(inState[s.State], ref) {
			t.Fatalf("round %d: sale %s is %s but not in that state's index", round, ref, s.State)
		}
		if !slices.Contains(byUser[s.User], ref) {
			t.Fatalf("round %d: sale %s is not in its user's index", round, ref)
		}
		if iccid := iccids[ref]; iccid != "" {
			sales, err := st.SalesByICCID(ctx, iccid)
			if err != nil || len(sales) != 1 || sales[0].Ref != ref {
				t.Fatalf("round %d: sales of ICCID %s: %v, %v", round, iccid, sales, err)
			}
		}
	}
	for chat, v := range versions {
		c, err := st.Conversation(ctx, chat)
		if err != nil || c.Version < v {
			t.Fatalf("round %d: conversation %d: version %d, reported %d, %v", round, chat, c.Version, v, err)
		}
	}
}

// crashChild writes until it is killed, reporting each commit once it
// returned: "sale REF STATE", "iccid REF ICCID", "conversation CHAT VERSION".
func crashChild(t *testing.T, path string) {
	ctx := context.Background()
	round, _ := strconv.Atoi(os.Getenv("ESIMBOT_STORAGE_CRASH_ROUND"))
	st, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("open")
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			chat := flows.ChatID(w)
			report := func(format string, args ...any) { fmt.Printf(format+"\n", args...) } // one write each
			check := func(err error) {
				if err != nil {
					t.Error(err)
					os.Exit(1)
				}
			}
			for i := 0; ; i++ {
				c, err := st.Conversation(ctx, chat)
				if errors.Is(err, flows.ErrNotFound) {
					c, err = storetest.NewConversation(chat, time.Now()), nil
				}
				check(err)
				c.Step, c.Updated = "browse", time.Now()
				c, err = st.SaveConversation(ctx, c)
				check(err)
				report("conversation %d %d", chat, c.Version)

				ref := fmt.Sprintf("R%02d-W%d-%d", round, w, i)
				c.Step, c.Draft.SaleRef = "assigning", ref
				c, err = st.CreateSale(ctx, storetest.NewSale(ref, flows.UserID(w), time.Now()), c)
				check(err)
				report("sale %s %s", ref, flows.SaleConfirmed)
				report("conversation %d %d", chat, c.Version)

				_, err = st.UpdateSale(ctx, ref, func(s *flows.Sale) error { return s.MoveTo(flows.SaleAssigning, time.Now()) })
				check(err)
				report("sale %s %s", ref, flows.SaleAssigning)
				if i%2 == 0 {
					iccid := fmt.Sprintf("89%02d%d%08d", round, w, i)
					_, err = st.UpdateSale(ctx, ref, func(s *flows.Sale) error {
						s.ICCID, s.OrderID = iccid, "ord-"+ref
						return s.MoveTo(flows.SaleAssigned, time.Now())
					})
					check(err)
					report("iccid %s %s", ref, iccid)
					report("sale %s %s", ref, flows.SaleAssigned)
				}
				_, err = st.FirstSeen(ctx, "update", ref, time.Now())
				check(err)
			}
		})
	}
	wg.Wait()
}
