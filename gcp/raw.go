package gcp

import "net/http"

// Raw access, for the few callers that must read a response themselves
// rather than through a generated client (audit streams entries.list pages
// without decoding every LogEntry: SPEC §6).

// HTTPClient is the HTTP client every API client of c uses: authenticated as
// c's identity (impersonation included), with the trace and header
// transports, and no base URL of its own. Requests made with it must go to
// a URL from ServiceURL or one of the *BaseURL accessors, so that the SPEC
// §4 endpoint override is honoured.
func (c *Client) HTTPClient() *http.Client { return c.httpClient }

// LoggingBaseURL is the Logging API's base URL with its trailing slash:
// "https://logging.googleapis.com/", or ENDPOINT/logging/ in override mode
// (what the generated logging client is built with). Append "v2/entries:list".
func (c *Client) LoggingBaseURL() string { return c.ServiceURL(loggingBase) }
