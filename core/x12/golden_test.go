package x12

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/x12/golden")

const fixtures = "../../testdata/x12"

// fixtureFiles lists the third-party X12 files (not the notices, licences or goldens).
func fixtureFiles(t testing.TB) []string {
	var out []string
	err := filepath.WalkDir(fixtures, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixtures, p)
		if d.IsDir() {
			if rel == "golden" || rel == "LICENSES" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".md") {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("fixtures: %v (%d files)", err, len(out))
	}
	return out
}

// reportFile is what `edi parse` prints for one file.
func reportFile(t testing.TB, rel string) []byte {
	f, err := os.Open(filepath.Join(fixtures, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	rd := NewReader(f)
	for rd.Next() {
		if err := enc.Encode(NewReport(filepath.ToSlash(rel), rd.Set())); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
	}
	var errs, warns []Issue
	for _, is := range rd.Issues() {
		if is.Warning {
			warns = append(warns, is)
		} else {
			errs = append(errs, is)
		}
	}
	if rd.Err() != nil {
		errs = append(errs, Issue{Offset: -1, Level: LevelInterchange, Message: rd.Err().Error()})
	}
	if len(errs)+len(warns) > 0 {
		enc.Encode(Report{File: filepath.ToSlash(rel), Errors: ReportIssues(errs), Warnings: ReportIssues(warns)})
	}
	return b.Bytes()
}

// TestGolden parses every fixture (none may panic) and compares the JSON
// Lines with testdata/x12/golden; run with -update to rewrite them.
func TestGolden(t *testing.T) {
	for _, rel := range fixtureFiles(t) {
		got := reportFile(t, rel)
		if len(got) == 0 {
			t.Errorf("%s: no output", rel)
		}
		gp := filepath.Join(fixtures, "golden", rel+".jsonl")
		if *update {
			os.MkdirAll(filepath.Dir(gp), 0o755)
			if err := os.WriteFile(gp, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(gp)
		if err != nil {
			t.Errorf("%s: %v (run go test -update)", rel, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: output differs from %s (run go test -update and review the diff)", rel, gp)
		}
	}
}
