// Package conformance runs Google's own command-line tools — gcloud and bq —
// against `fedctl sandbox serve`: the seeds' gcloud steps verbatim (only the
// project and names substituted), the verification commands they give, and
// the client recipes of docs/sandbox.md as written. Where gcloud is not
// installed the tests skip, saying so. Nothing reaches the network: every
// endpoint gcloud and bq use is overridden to the sandbox on 127.0.0.1.
package conformance
