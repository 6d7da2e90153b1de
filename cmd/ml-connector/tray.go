package main

import (
	"time"

	"github.com/godbus/dbus/v5"
)

// sessionBusAvailable reports whether a D-Bus session bus answers within a
// second. The Linux system tray (StatusNotifierItem) lives on that bus;
// without one Fyne's tray cannot show and crashes the app when it quits, so
// the GUI then runs without a tray.
func sessionBusAvailable() bool {
	done := make(chan bool, 1)
	go func() {
		conn, err := dbus.SessionBusPrivate()
		if err != nil {
			done <- false
			return
		}
		defer conn.Close()
		if err := conn.Auth(nil); err != nil {
			done <- false
			return
		}
		done <- conn.Hello() == nil
	}()
	select {
	case ok := <-done:
		return ok
	case <-time.After(time.Second):
		return false
	}
}
