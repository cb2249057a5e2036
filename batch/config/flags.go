package config

import (
	"errors"
	"strconv"
	"time"
)

// Int is an int flag that knows whether it was given: an explicit 0 is an
// answer to check, not "use the config's value". It shows no default in
// --help.
type Int struct {
	Value int
	Given bool
}

func (o *Int) String() string {
	if o == nil || !o.Given {
		return ""
	}
	return strconv.Itoa(o.Value)
}

func (o *Int) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("want a whole number")
	}
	o.Value, o.Given = n, true
	return nil
}

// Float is Int for a number.
type Float struct {
	Value float64
	Given bool
	// Unit names what the number counts, for the message of a bad value.
	Unit string
}

func (o *Float) String() string {
	if o == nil || !o.Given {
		return ""
	}
	return strconv.FormatFloat(o.Value, 'g', -1, 64)
}

func (o *Float) Set(s string) error {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if o.Unit != "" {
			return errors.New("want a number of " + o.Unit + ", e.g. 500")
		}
		return errors.New("want a number")
	}
	o.Value, o.Given = n, true
	return nil
}

// DurationFlag is Int for a duration ("200ms", "1m").
type DurationFlag struct {
	Value time.Duration
	Given bool
}

func (o *DurationFlag) String() string {
	if o == nil || !o.Given {
		return ""
	}
	return o.Value.String()
}

func (o *DurationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return errors.New("want a duration such as 200ms or 1m")
	}
	o.Value, o.Given = d, true
	return nil
}
