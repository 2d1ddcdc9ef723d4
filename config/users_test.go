package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadUsersFile(t *testing.T) {
	users, err := ReadUsersFile("testdata/users.txt")
	if err != nil {
		t.Fatal(err)
	}
	// Comments, blank lines and trailing whitespace are dropped; the raw
	// list keeps duplicates (Apply normalises the merged flag lists).
	want := []string{"alice@acme.com", "Bob@Acme.com", "bob@acme.com", "carol@acme.com"}
	if !reflect.DeepEqual(users, want) {
		t.Errorf("users %q, want %q", users, want)
	}
}

func TestReadUsersFileReportsEveryBadLine(t *testing.T) {
	_, err := ReadUsersFile("testdata/users-bad.txt")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("want *ParseError, got %T %v", err, err)
	}
	want := "testdata/users-bad.txt:2: \"bob@\": has nothing after the '@'\n" +
		"testdata/users-bad.txt:3: \"carol@acme.com, dave@acme.com\" holds more than one value: put one email on each line\n" +
		"testdata/users-bad.txt:4: \"user:erin@acme.com\": is an IAM member, not an email"
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
}

func TestReadUsersFileMissing(t *testing.T) {
	if _, err := ReadUsersFile("testdata/missing.txt"); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("want an error naming the file, got %v", err)
	}
}

func TestParseUsersInlineComments(t *testing.T) {
	users, err := ParseUsers("inline", strings.NewReader("a@x.com # lead\n  # indented comment\n\n\tb@x.com  \r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a@x.com", "b@x.com"}; !reflect.DeepEqual(users, want) {
		t.Errorf("users %q, want %q", users, want)
	}
}

func TestNormalizeUsers(t *testing.T) {
	got, notes := NormalizeUsers([]string{"Alice@Acme.com", "bob@acme.com", "alice@acme.com", "bob@acme.com", " carol@acme.com "})
	if want := []string{"alice@acme.com", "bob@acme.com", "carol@acme.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("users %q, want %q", got, want)
	}
	wantNotes := []string{
		"user alice@acme.com is the same account as Alice@Acme.com (emails are case-insensitive); using it once",
		"user bob@acme.com is listed more than once; using it once",
	}
	if !reflect.DeepEqual(notes, wantNotes) {
		t.Errorf("notes %q, want %q", notes, wantNotes)
	}
	if got, notes := NormalizeUsers(nil); got != nil || notes != nil {
		t.Errorf("nil in must be nil out, got %q %q", got, notes)
	}
}

func TestSplitList(t *testing.T) {
	if got, want := SplitList(" a@x.com, ,b@x.com,"), []string{"a@x.com", "b@x.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("SplitList = %q, want %q", got, want)
	}
	if got := SplitList(""); got != nil {
		t.Errorf("SplitList(\"\") = %q, want nil", got)
	}
}
