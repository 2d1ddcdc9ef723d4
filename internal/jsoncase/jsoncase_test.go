package jsoncase

import (
	"reflect"
	"testing"
)

func TestProblems(t *testing.T) {
	got, err := Problems([]byte(`{"format_version":"1","plan":{"changes":[{"before":{"insertId":"x","attribute_mapping":{"google.subject":"assertion.sub"}}}]}}
{"ok_key":1,"camelCase":{"deeper_ok":[{"alsoBad":2}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"$.camelCase", "$.camelCase.deeper_ok[].alsoBad", "$.plan.changes[].before.insertId"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := Problems([]byte(`{"a":`)); err == nil {
		t.Error("a broken document is an error")
	}
}
