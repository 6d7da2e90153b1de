// Package locations is the one registry of every file and folder the app
// writes, in the style of syncthing's lib/locations: nothing else joins paths
// under the data dir, so "what did the app write, and where" has one answer
// (the secrets test greps exactly these places).
package locations

import (
	"fmt"
	"os"
	"path/filepath"
)

// Kind names one location.
type Kind string

// The locations under the data dir.
const (
	Database  Kind = "database"  // SQLite store (WAL files beside it)
	LogFile   Kind = "log"       // current log file; rotated copies get .1, .2 …
	LogDir    Kind = "logs"      // folder of the log files
	Exports   Kind = "exports"   // evidence packs and config exports
	SecretDir Kind = "secrets"   // file-based secrets when no keychain is available (0700)
	Profiles  Kind = "profiles"  // IFS resource-profile overrides
	Outbox    Kind = "outbox"    // folder transport default outbox
	Inbox     Kind = "inbox"     // folder transport default inbox
	Artifacts Kind = "artifacts" // screenshots and test artefacts
	// EngineLock is held by the one process running the engine on this
	// data dir (core/enginelock); it names that process.
	EngineLock Kind = "engine-lock"
	// TeamStore holds the team database's URL (without its password) when
	// this desk was switched to team mode; absent, the desk uses Database.
	TeamStore Kind = "team-store"
	// DeskRole says whether this desk may lead a team database's engine
	// ("leader-capable") or is a client; absent means client.
	DeskRole Kind = "desk-role"
)

var relative = map[Kind]string{
	Database:   "ml-connector.db",
	LogDir:     "logs",
	LogFile:    filepath.Join("logs", "ml-connector.log"),
	Exports:    "exports",
	SecretDir:  "secrets",
	Profiles:   "profiles",
	Outbox:     filepath.Join("folder", "outbox"),
	Inbox:      filepath.Join("folder", "inbox"),
	Artifacts:  "artifacts",
	EngineLock: "engine.lock",
	TeamStore:  "team-store.url",
	DeskRole:   "desk-role",
}

// dirMode is how folders are created: the data dir holds business documents,
// so other users get nothing.
const dirMode = 0o700

// Locations resolves every Kind under one data dir.
type Locations struct {
	dataDir string
}

// New returns the registry rooted at dataDir (made absolute).
func New(dataDir string) (Locations, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return Locations{}, fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	return Locations{dataDir: abs}, nil
}

// DataDir is the root.
func (l Locations) DataDir() string { return l.dataDir }

// Get returns the path of k.
func (l Locations) Get(k Kind) string {
	rel, ok := relative[k]
	if !ok {
		panic("locations: unknown kind " + string(k))
	}
	return filepath.Join(l.dataDir, rel)
}

// Ensure creates the data dir and the folders every run needs, owner-only.
func (l Locations) Ensure() error {
	for _, d := range []string{l.dataDir, l.Get(LogDir), l.Get(Exports)} {
		if err := os.MkdirAll(d, dirMode); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	return nil
}

// All lists every location with its path, for diagnostics and tests.
func (l Locations) All() map[Kind]string {
	out := make(map[Kind]string, len(relative))
	for k := range relative {
		out[k] = l.Get(k)
	}
	return out
}
