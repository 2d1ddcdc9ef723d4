package emulator

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	su "google.golang.org/api/serviceusage/v1"
)

// Service Usage v1 (gcp-wire §3): services get/list/batchGet, enable,
// disable and batchEnable as LROs, operations.get. Paths are after the
// "serviceusage" prefix. Service Usage itself needs no enablement check.

const (
	suTypePrefix       = "type.googleapis.com/google.api.serviceusage.v1."
	suEnableResponse   = suTypePrefix + "EnableServiceResponse"
	suDisableResponse  = suTypePrefix + "DisableServiceResponse"
	suBatchResponse    = suTypePrefix + "BatchEnableServicesResponse"
	suMetadataType     = suTypePrefix + "OperationMetadata"
	suNoopOperation    = "operations/noop.DONE_OPERATION"
	suMaxBatch         = 20
	suMaxBatchGet      = 30
	suDefaultPageSize  = 50
	suMaxPageSize      = 200
	suOperationsPrefix = "operations/acf."
)

// extraServiceTitles are public services beyond errors.go's serviceTitles
// that the catalog knows (what services.list shows and enable accepts).
var extraServiceTitles = map[string]string{
	"bigquerystorage.googleapis.com":      "BigQuery Storage API",
	"bigqueryconnection.googleapis.com":   "BigQuery Connection API",
	"bigquerydatatransfer.googleapis.com": "BigQuery Data Transfer API",
	"bigqueryreservation.googleapis.com":  "BigQuery Reservation API",
	"storage.googleapis.com":              "Cloud Storage API",
	"storage-api.googleapis.com":          "Google Cloud Storage JSON API",
	"compute.googleapis.com":              "Compute Engine API",
	"cloudbilling.googleapis.com":         "Cloud Billing API",
	"pubsub.googleapis.com":               "Cloud Pub/Sub API",
	"monitoring.googleapis.com":           "Cloud Monitoring API",
	"run.googleapis.com":                  "Cloud Run Admin API",
	"container.googleapis.com":            "Kubernetes Engine API",
	"secretmanager.googleapis.com":        "Secret Manager API",
	"cloudkms.googleapis.com":             "Cloud Key Management Service (KMS) API",
	"cloudbuild.googleapis.com":           "Cloud Build API",
	"artifactregistry.googleapis.com":     "Artifact Registry API",
	"servicemanagement.googleapis.com":    "Service Management API",
	"policytroubleshooter.googleapis.com": "Policy Troubleshooter API",
	"cloudasset.googleapis.com":           "Cloud Asset API",
	"dataplex.googleapis.com":             "Cloud Dataplex API",
	"analyticshub.googleapis.com":         "Analytics Hub API",
	"cloudtrace.googleapis.com":           "Cloud Trace API",
	"orgpolicy.googleapis.com":            "Organization Policy API",
	"accesscontextmanager.googleapis.com": "Access Context Manager API",
	"dataform.googleapis.com":             "Dataform API",
	"datacatalog.googleapis.com":          "Google Cloud Data Catalog API",
	"oslogin.googleapis.com":              "Cloud OS Login API",
	"cloudfunctions.googleapis.com":       "Cloud Functions API",
	"workloadmanager.googleapis.com":      "Workload Manager API",
	"bigquerymigration.googleapis.com":    "BigQuery Migration API",
	"bigquerydatapolicy.googleapis.com":   "BigQuery Data Policy API",
	"containerregistry.googleapis.com":    "Container Registry API",
	"sqladmin.googleapis.com":             "Cloud SQL Admin API",
	"securitycenter.googleapis.com":       "Security Command Center API",
	"essentialcontacts.googleapis.com":    "Essential Contacts API",
	"recommender.googleapis.com":          "Recommender API",
	"clouderrorreporting.googleapis.com":  "Error Reporting API",
	"cloudscheduler.googleapis.com":       "Cloud Scheduler API",
	"dns.googleapis.com":                  "Cloud DNS API",
	"privateca.googleapis.com":            "Certificate Authority API",
	"cloudidentity.googleapis.com":        "Cloud Identity API",
	"admin.googleapis.com":                "Admin SDK API",
	"sheets.googleapis.com":               "Google Sheets API",
	"drive.googleapis.com":                "Google Drive API",
	"aiplatform.googleapis.com":           "Vertex AI API",
	"dataproc.googleapis.com":             "Cloud Dataproc API",
	"composer.googleapis.com":             "Cloud Composer API",
	"dataflow.googleapis.com":             "Dataflow API",
	"looker.googleapis.com":               "Looker (Google Cloud core) API",
	"datastream.googleapis.com":           "Datastream API",
	"pubsublite.googleapis.com":           "Pub/Sub Lite API",
	"cloudtasks.googleapis.com":           "Cloud Tasks API",
	"cloudapis.googleapis.com":            "Google Cloud APIs",
	"servicenetworking.googleapis.com":    "Service Networking API",
	"vpcaccess.googleapis.com":            "Serverless VPC Access API",
	"identitytoolkit.googleapis.com":      "Identity Toolkit API",
	"firebase.googleapis.com":             "Firebase Management API",
	"cloudprofiler.googleapis.com":        "Cloud Profiler API",
	"networkmanagement.googleapis.com":    "Network Management API",
	"bigtableadmin.googleapis.com":        "Cloud Bigtable Admin API",
	"spanner.googleapis.com":              "Cloud Spanner API",
	"file.googleapis.com":                 "Cloud Filestore API",
	"redis.googleapis.com":                "Google Cloud Memorystore for Redis API",
	"appengine.googleapis.com":            "App Engine Admin API",
	"gkehub.googleapis.com":               "GKE Hub API",
	"anthos.googleapis.com":               "Anthos API",
	"deploymentmanager.googleapis.com":    "Cloud Deployment Manager V2 API",
	"billingbudgets.googleapis.com":       "Cloud Billing Budget API",
}

// serviceCatalogTitle returns a known service's title.
func serviceCatalogTitle(name string) (string, bool) {
	if t, ok := serviceTitles[name]; ok {
		return t, true
	}
	t, ok := extraServiceTitles[name]
	return t, ok
}

func init() {
	registerAPI(func(s *Server) {
		const svc, p = "serviceusage", `^/v1/projects/([^/]+)/services`
		s.handle(&route{Service: svc, Method: "GET", Pattern: p + `/([^/:]+)$`, Name: "serviceusage.services.get", Handler: suGet})
		s.handle(&route{Service: svc, Method: "GET", Pattern: p + `$`, Name: "serviceusage.services.list", Handler: suList})
		s.handle(&route{Service: svc, Method: "GET", Pattern: p + `:batchGet$`, Name: "serviceusage.services.batchGet", Handler: suBatchGet})
		s.handle(&route{Service: svc, Method: "POST", Pattern: p + `/([^/:]+):enable$`, Name: "serviceusage.services.enable", Mutates: true, Handler: suEnable})
		s.handle(&route{Service: svc, Method: "POST", Pattern: p + `/([^/:]+):disable$`, Name: "serviceusage.services.disable", Mutates: true, Handler: suDisable})
		s.handle(&route{Service: svc, Method: "POST", Pattern: p + `:batchEnable$`, Name: "serviceusage.services.batchEnable", Mutates: true, Handler: suBatchEnable})
		s.handle(&route{Service: svc, Method: "GET", Pattern: `^/v1/(operations/[^/]+)$`, Name: "serviceusage.operations.get",
			Handler: func(c *call) (any, error) { return c.pollOperation(c.args[0], suOperationsPrefix) }})
	})
	registerOpCompleter(suEnableResponse, func(st *State, op *Operation, now time.Time) error {
		var r su.EnableServiceResponse
		if err := json.Unmarshal(op.Response, &r); err != nil || r.Service == nil {
			return fmt.Errorf("operation %s: bad response: %v", op.Name, err)
		}
		return setServiceState(st, r.Service.Name, true, now)
	})
	registerOpCompleter(suDisableResponse, func(st *State, op *Operation, now time.Time) error {
		var r su.DisableServiceResponse
		if err := json.Unmarshal(op.Response, &r); err != nil || r.Service == nil {
			return fmt.Errorf("operation %s: bad response: %v", op.Name, err)
		}
		return setServiceState(st, r.Service.Name, false, now)
	})
	registerOpCompleter(suBatchResponse, func(st *State, op *Operation, now time.Time) error {
		var r su.BatchEnableServicesResponse
		if err := json.Unmarshal(op.Response, &r); err != nil {
			return fmt.Errorf("operation %s: bad response: %v", op.Name, err)
		}
		for _, s := range r.Services {
			if err := setServiceState(st, s.Name, true, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// setServiceState applies an enable/disable to "projects/N/services/S".
func setServiceState(st *State, name string, on bool, now time.Time) error {
	rest, ok := strings.CutPrefix(name, "projects/")
	proj, svc, ok2 := strings.Cut(rest, "/services/")
	p := st.ProjectByIDOrNumber(proj)
	if !ok || !ok2 || p == nil {
		return fmt.Errorf("service %q: no such project", name)
	}
	if p.Services == nil {
		p.Services = map[string]bool{}
	}
	if p.ServiceEnabledAt == nil {
		p.ServiceEnabledAt = map[string]time.Time{}
	}
	if on {
		if !p.Services[svc] {
			p.ServiceEnabledAt[svc] = now
		}
		p.Services[svc] = true
	} else {
		delete(p.Services, svc)
		delete(p.ServiceEnabledAt, svc)
	}
	return nil
}

// serviceWire is GoogleApiServiceusageV1Service; names use the project
// NUMBER whatever the request used. state overrides the current state ("").
func serviceWire(p *Project, name, state string) *su.GoogleApiServiceusageV1Service {
	if state == "" {
		state = "DISABLED"
		if p.Services[name] {
			state = "ENABLED"
		}
	}
	title, _ := serviceCatalogTitle(name)
	return &su.GoogleApiServiceusageV1Service{
		Name: "projects/" + p.Number + "/services/" + name, Parent: "projects/" + p.Number, State: state,
		Config: &su.GoogleApiServiceusageV1ServiceConfig{Name: name, Title: title},
	}
}

// errServiceNotFound is Google's 403 for an unknown service name (it does
// not distinguish "no such service" from "not allowed to see it").
func errServiceNotFound(names ...string) *apiError {
	list := strings.Join(names, ", ")
	return &apiError{HTTP: 403, Status: "PERMISSION_DENIED",
		Message: fmt.Sprintf("Not found or permission denied for service(s): %s.", list),
		Details: []map[string]any{{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
			"reason": "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED", "domain": "serviceusage.googleapis.com",
			"metadata": map[string]string{"services": list}}}}
}

// suService resolves projects/{p}/services/{s} of the route.
func suService(c *call) (*Project, string, error) {
	p, err := c.project(c.args[0])
	if err != nil {
		return nil, "", err
	}
	name := c.args[1]
	if _, ok := serviceCatalogTitle(name); !ok && !p.Services[name] {
		return nil, "", errServiceNotFound(name)
	}
	return p, name, nil
}

func suGet(c *call) (any, error) {
	p, name, err := suService(c)
	if err != nil {
		return nil, err
	}
	return serviceWire(p, name, ""), nil
}

func suList(c *call) (any, error) {
	p, err := c.project(c.args[0])
	if err != nil {
		return nil, err
	}
	want := ""
	switch f := strings.ReplaceAll(c.query("filter"), " ", ""); f {
	case "":
	case "state:ENABLED", "state:DISABLED":
		want = strings.TrimPrefix(f, "state:")
	default:
		return nil, errInvalid(fmt.Sprintf("Invalid filter %q: only state:ENABLED and state:DISABLED are supported.", c.query("filter")))
	}
	size, err := c.pageSize(suDefaultPageSize, suMaxPageSize)
	if err != nil {
		return nil, err
	}
	all := map[string]bool{}
	for n := range serviceTitles {
		all[n] = true
	}
	for n := range extraServiceTitles {
		all[n] = true
	}
	for n, on := range p.Services {
		all[n] = all[n] || on
	}
	var names []string
	for n := range all {
		state := "DISABLED"
		if p.Services[n] {
			state = "ENABLED"
		}
		if want == "" || want == state {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	keys, next, err := c.page(names, size)
	if err != nil {
		return nil, err
	}
	out := &su.ListServicesResponse{NextPageToken: next}
	for _, n := range keys {
		out.Services = append(out.Services, serviceWire(p, n, ""))
	}
	return out, nil
}

func suBatchGet(c *call) (any, error) {
	p, err := c.project(c.args[0])
	if err != nil {
		return nil, err
	}
	names := c.r.URL.Query()["names"]
	if len(names) > suMaxBatchGet {
		return nil, errInvalid(fmt.Sprintf("Too many services requested: %d. At most %d services can be requested in one batch.", len(names), suMaxBatchGet))
	}
	out := &su.BatchGetServicesResponse{}
	for _, full := range names {
		_, svc, ok := strings.Cut(full, "/services/")
		if !ok {
			return nil, errInvalid(fmt.Sprintf("Invalid service name %q.", full))
		}
		if _, known := serviceCatalogTitle(svc); !known && !p.Services[svc] {
			return nil, errServiceNotFound(svc)
		}
		out.Services = append(out.Services, serviceWire(p, svc, ""))
	}
	return out, nil
}

// suOperationName mints a serviceusage operation name.
func suOperationName(p *Project) string {
	return suOperationsPrefix + "p2-" + p.Number + "-" + newUUID()
}

func suMetadata(p *Project, services ...string) (json.RawMessage, error) {
	md := &su.OperationMetadata{}
	for _, s := range services {
		md.ResourceNames = append(md.ResourceNames, "services/"+s+"/projectSettings/"+p.Number)
	}
	return typed(suMetadataType, md)
}

func suEnable(c *call) (any, error) {
	p, name, err := suService(c)
	if err != nil {
		return nil, err
	}
	resp, err := typed(suEnableResponse, &su.EnableServiceResponse{Service: serviceWire(p, name, "ENABLED")})
	if err != nil {
		return nil, err
	}
	if p.Services[name] {
		return doneOperation(suNoopOperation, resp), nil
	}
	md, err := suMetadata(p, name)
	if err != nil {
		return nil, err
	}
	op, err := c.startOperation(suOperationName(p), md, resp)
	if err != nil {
		return nil, err
	}
	return op.wire(), nil
}

func suDisable(c *call) (any, error) {
	p, name, err := suService(c)
	if err != nil {
		return nil, err
	}
	var req su.DisableServiceRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	switch req.CheckIfServiceHasUsage {
	case "", "CHECK_IF_SERVICE_HAS_USAGE_UNSPECIFIED", "SKIP", "CHECK":
	default:
		return nil, errInvalid(fmt.Sprintf("Invalid value at 'check_if_service_has_usage' (type.googleapis.com/google.api.serviceusage.v1.DisableServiceRequest.CheckIfServiceHasUsage), %q", req.CheckIfServiceHasUsage))
	}
	resp, err := typed(suDisableResponse, &su.DisableServiceResponse{Service: serviceWire(p, name, "DISABLED")})
	if err != nil {
		return nil, err
	}
	if !p.Services[name] {
		return doneOperation(suNoopOperation, resp), nil
	}
	md, err := suMetadata(p, name)
	if err != nil {
		return nil, err
	}
	op, err := c.startOperation(suOperationName(p), md, resp)
	if err != nil {
		return nil, err
	}
	return op.wire(), nil
}

// suBatchEnable is atomic: every id must be known, at most 20.
func suBatchEnable(c *call) (any, error) {
	p, err := c.project(c.args[0])
	if err != nil {
		return nil, err
	}
	var req su.BatchEnableServicesRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	switch n := len(req.ServiceIds); {
	case n == 0:
		return nil, errInvalid("The request must specify at least one service to enable.")
	case n > suMaxBatch:
		return nil, errInvalid(fmt.Sprintf("The request specifies %d services; at most %d services can be enabled in one batch.", n, suMaxBatch))
	}
	var unknown, ids []string
	for _, id := range req.ServiceIds {
		if _, ok := serviceCatalogTitle(id); !ok && !p.Services[id] {
			unknown = append(unknown, id)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(unknown) > 0 {
		return nil, errServiceNotFound(unknown...)
	}
	out := &su.BatchEnableServicesResponse{}
	allOn := true
	for _, id := range ids {
		out.Services = append(out.Services, serviceWire(p, id, "ENABLED"))
		allOn = allOn && p.Services[id]
	}
	resp, err := typed(suBatchResponse, out)
	if err != nil {
		return nil, err
	}
	if allOn {
		return doneOperation(suNoopOperation, resp), nil
	}
	md, err := suMetadata(p, ids...)
	if err != nil {
		return nil, err
	}
	op, err := c.startOperation(suOperationName(p), md, resp)
	if err != nil {
		return nil, err
	}
	return op.wire(), nil
}
