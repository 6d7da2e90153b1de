package connections

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// DatabaseChoice is where this desk keeps its data.
type DatabaseChoice struct {
	Team          bool   // a team's PostgreSQL database; false: this desk's own file
	Location      string // a file path, or a postgres:// URL without password
	ChosenBy      string // "--store", "ML_CONNECTOR_STORE", "team-store.url", "data dir"
	LeaderCapable bool   // this desk may lead the team's engine
}

// DatabaseSource is what the database card needs (called off the UI
// goroutine): the current choice, a connection test that changes nothing,
// and the switch, which takes effect when the app starts again.
type DatabaseSource interface {
	Database(ctx context.Context) (DatabaseChoice, error)
	// TestTeam connects with the URL and password typed and says in words
	// what it found; ok is false when the desk must not switch to it.
	TestTeam(ctx context.Context, url, password string) (verdict string, ok bool, err error)
	// UseTeam stores the password as a secret (never in a file), records
	// the URL and the desk's role; UseDesk goes back to the desk's file.
	UseTeam(ctx context.Context, url, password string, leaderCapable bool) error
	UseDesk(ctx context.Context) error
}

// The database card's choices.
const (
	DeskOnly = "This desk only"
	TeamDB   = "Team database (PostgreSQL)"
)

// databaseCard is the "Database" card: this desk only, or a team database
// tested before it is used.
type databaseCard struct {
	s        *Screen
	src      DatabaseSource
	current  *widget.Label
	choice   *widget.RadioGroup
	url      *widget.Entry
	password *widget.Entry
	leader   *widget.Check
	test     *widget.Button
	use      *widget.Button
	result   *widget.Label
	card     *widget.Card
	tested   string // the URL whose last test passed: Use needs it
	load     *uikit.Loader
	// wantTeam keeps the team choice someone made (the first-run
	// question) over what a reload reads: the desk's file is still in use.
	wantTeam bool
}

func newDatabaseCard(s *Screen, src DatabaseSource) *databaseCard {
	c := &databaseCard{s: s, src: src, load: uikit.NewLoader(s.ctx, s.p.Runner)}
	c.current = widget.NewLabel("Loading…")
	c.current.Wrapping = fyne.TextWrapWord
	c.url = entry("postgres://user@db.example.com/mlconnector?sslmode=verify-full&sslrootcert=/path/ca.pem")
	c.password = widget.NewPasswordEntry()
	c.password.SetPlaceHolder("database password (kept in " + s.src.SecretStore() + ")")
	c.leader = widget.NewCheck("This desk may run the team's engine when no server does", nil)
	c.result = widget.NewLabel("")
	c.result.Wrapping = fyne.TextWrapWord
	c.test = widget.NewButtonWithIcon("Test database", theme.MediaPlayIcon(), c.Test)
	c.use = widget.NewButtonWithIcon("Use from next start", theme.ConfirmIcon(), c.Use)
	c.use.Importance = widget.HighImportance
	c.choice = widget.NewRadioGroup([]string{DeskOnly, TeamDB}, func(string) { c.changed() })
	c.choice.Horizontal = true
	form := widget.NewForm(widget.NewFormItem("Team database", c.url), widget.NewFormItem("Password", c.password), widget.NewFormItem("", c.leader))
	c.card = widget.NewCard("Database", "where this desk's queue, documents and audit trail live",
		container.NewVBox(c.current, c.choice, form, container.NewHBox(c.test, c.use), c.result))
	return c
}

// reload shows the current choice.
func (c *databaseCard) reload() {
	uikit.Load(c.load, c.src.Database, func(d DatabaseChoice, err error) {
		if err != nil {
			c.current.SetText("Could not read the database choice: " + err.Error())
			return
		}
		if d.Team {
			role := "a client (the flows run in the team's engine)"
			if d.LeaderCapable {
				role = "leader-capable"
			}
			c.current.SetText("In use: the team database " + d.Location + " (chosen by " + d.ChosenBy + "); this desk is " + role + ".")
			c.choice.SetSelected(TeamDB)
			c.url.SetText(d.Location)
			c.leader.SetChecked(d.LeaderCapable)
		} else {
			c.current.SetText("In use: this desk's own file " + d.Location + " (chosen by " + d.ChosenBy + ").")
			if !c.wantTeam {
				c.choice.SetSelected(DeskOnly)
			}
		}
		c.changed()
	})
}

// changed enables the team fields only for the team choice.
func (c *databaseCard) changed() {
	team := c.choice.Selected == TeamDB
	for _, w := range []fyne.Disableable{c.url, c.password, c.leader, c.test} {
		if team {
			w.Enable()
		} else {
			w.Disable()
		}
	}
	c.use.Enable()
	if team && c.tested != c.url.Text {
		c.use.Disable() // a team database is used only after its test passed
	}
}

// Test runs the connection test off the UI goroutine.
func (c *databaseCard) Test() {
	url, pw := c.url.Text, c.password.Text
	c.result.SetText("Testing…")
	c.result.Importance = widget.MediumImportance
	c.test.Disable()
	c.s.p.Runner.Go(func() {
		verdict, ok, err := c.src.TestTeam(c.s.ctx, url, pw)
		fyne.Do(func() {
			c.test.Enable()
			switch {
			case err != nil:
				c.tested = ""
				c.result.SetText("Test failed: " + err.Error() + "\n" + uikit.Advice(err))
				c.result.Importance = widget.DangerImportance
			case !ok:
				c.tested = ""
				c.result.SetText("Not usable: " + verdict)
				c.result.Importance = widget.DangerImportance
			default:
				c.tested = url
				c.result.SetText("Test passed: " + verdict)
				c.result.Importance = widget.SuccessImportance
			}
			c.result.Refresh()
			c.changed()
		})
	})
}

// Use records the choice; the app opens it at its next start.
func (c *databaseCard) Use() {
	team, url, pw, lead := c.choice.Selected == TeamDB, c.url.Text, c.password.Text, c.leader.Checked
	c.use.Disable()
	c.s.p.Runner.Go(func() {
		var err error
		if team {
			err = c.src.UseTeam(c.s.ctx, url, pw, lead)
		} else {
			err = c.src.UseDesk(c.s.ctx)
		}
		fyne.Do(func() {
			c.changed()
			if err != nil {
				c.result.SetText("Not switched: " + err.Error())
				c.result.Importance = widget.DangerImportance
			} else {
				c.password.SetText("")
				c.result.SetText("Saved. Quit and start the app again to use it.")
				c.result.Importance = widget.SuccessImportance
			}
			c.result.Refresh()
		})
	})
}

// FillDatabase sets the database card's fields as the admin would (tests
// and scripted set-ups); it does nothing without the card.
func (s *Screen) FillDatabase(team bool, url, password string, leaderCapable bool) {
	if s.db == nil {
		return
	}
	s.db.url.SetText(url)
	s.db.password.SetText(password)
	s.db.leader.SetChecked(leaderCapable)
	if team {
		s.db.choice.SetSelected(TeamDB)
	} else {
		s.db.choice.SetSelected(DeskOnly)
	}
	s.db.changed()
}

// TestDatabase presses "Test database".
func (s *Screen) TestDatabase() {
	if s.db != nil {
		s.db.Test()
	}
}

// UseDatabase presses "Use from next start" when it is enabled; it reports
// whether it was.
func (s *Screen) UseDatabase() bool {
	if s.db == nil || s.db.use.Disabled() {
		return false
	}
	s.db.Use()
	return true
}

// DatabaseStatus is what the card says: the choice in use and the last
// test's or switch's outcome.
func (s *Screen) DatabaseStatus() (current, result string) {
	if s.db == nil {
		return "", ""
	}
	return s.db.current.Text, s.db.result.Text
}

// ChooseTeamDatabase selects the team database on the Database card and
// puts the cursor in its URL field (the first-run choice "team database");
// it does nothing without the card.
func (s *Screen) ChooseTeamDatabase() {
	if s.db == nil {
		return
	}
	s.db.wantTeam = true
	s.db.choice.SetSelected(TeamDB)
	s.db.changed()
	if c := fyne.CurrentApp(); c != nil {
		if w := c.Driver().CanvasForObject(s.db.url); w != nil {
			w.Focus(s.db.url)
		}
	}
}

// DatabaseChosen is the choice selected on the Database card ("" without it).
func (s *Screen) DatabaseChosen() string {
	if s.db == nil {
		return ""
	}
	return s.db.choice.Selected
}
