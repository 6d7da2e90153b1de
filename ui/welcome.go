package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// welcomeShown is the preference that records the first-run choice was
// offered on this desk, so it is asked once.
const welcomeShown = "welcome.shown"

// The first-run choices.
const (
	WelcomeDesk = "This desk only: a database file on this computer, for one person"
	WelcomeTeam = "Team database: a PostgreSQL database the AP team shares, one engine for the whole team"
)

// Welcome asks, on a desk's first start with nothing set up, where its
// work will live: this desk only (then the IFS and Cleo connections) or a
// team database (then the Database card, tested before it is used). It is
// shown once per desk; without a Database source (the demo) never.
func (u *UI) Welcome() {
	if u.p.Database == nil || u.app.Preferences().Bool(welcomeShown) {
		return
	}
	choice := widget.NewRadioGroup([]string{WelcomeDesk, WelcomeTeam}, nil)
	choice.SetSelected(WelcomeDesk)
	intro := widget.NewLabel("Where will this desk keep its invoices, exceptions and audit trail? " +
		"You can change it later on the Connections screen (Database).")
	intro.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	next := widget.NewButton("Continue", func() {
		d.Hide()
		u.WelcomeChoose(choice.Selected == WelcomeTeam)
	})
	next.Importance = widget.HighImportance
	d = dialog.NewCustomWithoutButtons("Welcome to ml-connector", container.NewVBox(intro, choice, container.NewHBox(next)), u.win)
	d.Resize(fyne.NewSize(620, 0))
	d.Show()
	u.welcome = d
}

// WelcomeChoose applies the first-run choice (what "Continue" does): the
// Connections screen, with the team database chosen on the Database card
// for a team; the choice is not asked again on this desk.
func (u *UI) WelcomeChoose(team bool) {
	u.app.Preferences().SetBool(welcomeShown, true)
	u.welcome = nil
	u.Show(ScreenConnections)
	if team {
		u.Connections.ChooseTeamDatabase()
		u.status.SetText("Enter the team database's URL and password, test it, then use it from the next start.")
		return
	}
	u.status.SetText("Enter the IFS and Cleo connections, test them, then save.")
}

// Welcoming reports whether the first-run choice is on screen.
func (u *UI) Welcoming() bool { return u.welcome != nil }

// StatusText is the status line under the screens.
func (u *UI) StatusText() string { return u.status.Text }
