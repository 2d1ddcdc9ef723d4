//go:build tools

// tools.go pins the design's dependencies while the packages that use them are written.

package main

import (
	_ "cel.dev/cel-go/cel"
	_ "cloud.google.com/go/bigquery"
	_ "github.com/charmbracelet/bubbles/spinner"
	_ "github.com/charmbracelet/bubbletea"
	_ "github.com/charmbracelet/huh"
	_ "github.com/charmbracelet/lipgloss"
	_ "github.com/charmbracelet/x/exp/teatest"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/cobra/doc"
	_ "golang.org/x/oauth2/google"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
	_ "google.golang.org/api/bigquery/v2"
	_ "google.golang.org/api/cloudresourcemanager/v1"
	_ "google.golang.org/api/iam/v1"
	_ "google.golang.org/api/iamcredentials/v1"
	_ "google.golang.org/api/logging/v2"
	_ "google.golang.org/api/serviceusage/v1"
	_ "google.golang.org/api/sts/v1"
	_ "github.com/googleapis/gax-go/v2/apierror"
	_ "gopkg.in/yaml.v3"
)

func main() {}
