package world

import (
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"
)

// SeedEnv is the environment variable that repeats a run's random choices
// of what a real server may vary.
const SeedEnv = "ML_SANDBOX_SEED"

var (
	runSeedOnce sync.Once
	runSeed     uint64
	instances   struct {
		sync.Mutex
		n uint64
	}
)

// RunSeed is this process's seed for the choices a real server may vary
// (the IFS sandbox's link forms, the Cleo sandbox's page cap): $ML_SANDBOX_SEED
// when set, otherwise the clock. It is printed once to stderr so a failing
// run can be repeated.
func RunSeed() uint64 {
	runSeedOnce.Do(func() {
		if v, err := strconv.ParseUint(os.Getenv(SeedEnv), 10, 64); err == nil && v != 0 {
			runSeed = v
		} else {
			runSeed = uint64(time.Now().UnixNano())%1_000_000_000 + 1
		}
		fmt.Fprintf(os.Stderr, "sandboxes: what a real server may vary varies per run; %s=%d repeats this run\n", SeedEnv, runSeed)
	})
	return runSeed
}

// InstanceRand is a random source for one sandbox instance, drawn from the
// run seed and the instance's ordinal, so that the servers of one run differ
// from each other and a run repeats with its seed. stream separates the
// sandboxes' uses.
func InstanceRand(stream uint64) *mrand.Rand {
	instances.Lock()
	n := instances.n
	instances.n++
	instances.Unlock()
	return mrand.New(mrand.NewPCG(RunSeed(), n^stream<<32))
}
