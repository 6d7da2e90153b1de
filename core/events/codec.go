package events

import (
	"encoding/json"
	"fmt"
)

// dataOf returns a pointer to a zero value of the Data type each event
// type carries: the one place that ties a Type to its payload for the wire.
func dataOf(t Type) (any, error) {
	switch t {
	case RunStarted, RunProgress, RunFinished:
		return &RunData{}, nil
	case DocumentChanged:
		return &DocumentData{}, nil
	case ExceptionRaised, ExceptionResolved:
		return &ExceptionData{}, nil
	case HeartbeatStale:
		return &HeartbeatData{}, nil
	case ConnectionStatus:
		return &ConnectionData{}, nil
	case SchedulerChanged:
		return &SchedulerData{}, nil
	case RequestChanged:
		return &RequestData{}, nil
	}
	return nil, fmt.Errorf("event type %v has no wire form", t)
}

// Encode turns an event into its type name and JSON data, for carrying it
// to other processes (the team database).
func Encode(ev Event) (name string, data []byte, err error) {
	if _, err := dataOf(ev.Type); err != nil {
		return "", nil, err
	}
	data, err = json.Marshal(ev.Data)
	if err != nil {
		return "", nil, fmt.Errorf("encode %v event: %w", ev.Type, err)
	}
	return ev.Type.String(), data, nil
}

// Decode is Encode's inverse: the type named and its typed Data (a value,
// as publishers pass it, not a pointer).
func Decode(name string, data []byte) (Type, any, error) {
	t, ok := typeByName(name)
	if !ok {
		return 0, nil, fmt.Errorf("decode event: unknown type %q", name)
	}
	p, _ := dataOf(t)
	if err := json.Unmarshal(data, p); err != nil {
		return 0, nil, fmt.Errorf("decode %s event: %w", name, err)
	}
	var v any
	switch d := p.(type) {
	case *RunData:
		v = *d
	case *DocumentData:
		v = *d
	case *ExceptionData:
		v = *d
	case *HeartbeatData:
		v = *d
	case *ConnectionData:
		v = *d
	case *SchedulerData:
		v = *d
	case *RequestData:
		v = *d
	}
	return t, v, nil
}

func typeByName(name string) (Type, bool) {
	for i, n := range typeNames {
		if n == name {
			return Type(1) << i, true
		}
	}
	return 0, false
}
