package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/runbook-dev/runbook/engine"
)

// A JUnit XML report (the schema CI systems read: Jenkins, GitLab, GitHub
// actions' reporters): one testsuite per host run or per check, one
// testcase per step or per recording.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func (s *junitSuite) add(c junitCase) {
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Error != nil:
		s.Errors++
	case c.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, c)
}

func secsAttr(s float64) string { return fmt.Sprintf("%.3f", s) }

// runJUnit is a run's report: a suite per host, a case per step run, and
// a case for an error that stopped the run outside any step (a usage
// error, an unreachable host).
func runJUnit(reports []*engine.Report, err error) *junitSuites {
	out := &junitSuites{}
	for _, rep := range reports {
		if rep == nil || rep.Runbook == "" {
			continue
		}
		s := junitSuite{Name: rep.Runbook + " on " + rep.Host, Time: secsAttr(rep.Duration)}
		for _, st := range rep.Steps {
			c := junitCase{Name: fmt.Sprintf("%d. %s", st.N, st.Name), Classname: rep.Runbook + "." + rep.Host, Time: secsAttr(st.Duration)}
			switch st.Status {
			case "failed":
				p := &junitProblem{Message: st.Reason, Type: "step failed", Text: st.Reason}
				if sf := stepFailure(err, st.N); sf != nil {
					p.Text = sf.Error() // the command, its status, its output's last lines
				}
				c.Failure = p
			case "skipped":
				c.Skipped = &junitProblem{Message: st.Reason}
			}
			s.add(c)
		}
		out.Suites = append(out.Suites, s)
	}
	if err != nil && len(out.Suites) == 0 {
		s := junitSuite{Name: "runbook", Time: secsAttr(0)}
		s.add(junitCase{Name: "run", Classname: "runbook", Time: secsAttr(0),
			Error: &junitProblem{Message: firstLine(err.Error()), Type: exitKind(err), Text: err.Error()}})
		out.Suites = append(out.Suites, s)
	}
	return out
}

// stepFailure finds step n's failure among err's (several hosts' too).
func stepFailure(err error, n int) *engine.StepFailedError {
	var found *engine.StepFailedError
	var walk func(error)
	walk = func(e error) {
		if e == nil || found != nil {
			return
		}
		if sf, ok := e.(*engine.StepFailedError); ok && sf.Step == n {
			found = sf
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return found
}

func writeJUnit(w io.Writer, r *junitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// checkCase is one recording checked, as a JUnit case.
func checkCase(rec string, failures, notes []string, err error) junitCase {
	c := junitCase{Name: rec, Classname: "runbook.check", Time: secsAttr(0)}
	switch {
	case err != nil:
		c.Error = &junitProblem{Message: firstLine(err.Error()), Type: exitKind(err), Text: err.Error()}
	case len(failures) > 0:
		c.Failure = &junitProblem{Message: fmt.Sprintf("%d problems: %s", len(failures), firstLine(failures[0])), Type: "check failed",
			Text: strings.Join(failures, "\n")}
	}
	if len(notes) > 0 {
		c.SystemOut = "note: " + strings.Join(notes, "\nnote: ")
	}
	return c
}
