package emulator

import (
	"encoding/json"
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"sort"
	"strconv"

	bq "google.golang.org/api/bigquery/v2"
)

// BigQuery datasets (gcp-wire §9.2): metadata and the access list. The access
// list is stored verbatim in its legacy form; patch and update replace it
// whole, as in production.

func init() {
	registerAPI(func(s *Server) {
		for _, r := range []*route{
			{Method: "POST", Pattern: `^/projects/([^/]+)/datasets$`, Name: "bigquery.datasets.insert", Mutates: true, Handler: bqDatasetsInsert},
			{Method: "GET", Pattern: `^/projects/([^/]+)/datasets$`, Name: "bigquery.datasets.list", Handler: bqDatasetsList},
			{Method: "GET", Pattern: `^/projects/([^/]+)/datasets/([^/]+)$`, Name: "bigquery.datasets.get", Handler: bqDatasetsGet},
			{Method: "PATCH", Pattern: `^/projects/([^/]+)/datasets/([^/]+)$`, Name: "bigquery.datasets.patch", Mutates: true, Handler: bqDatasetsPatch},
			{Method: "PUT", Pattern: `^/projects/([^/]+)/datasets/([^/]+)$`, Name: "bigquery.datasets.update", Mutates: true, Handler: bqDatasetsUpdate},
			{Method: "DELETE", Pattern: `^/projects/([^/]+)/datasets/([^/]+)$`, Name: "bigquery.datasets.delete", Mutates: true, Handler: bqDatasetsDelete},
		} {
			r.Service = "bigquery"
			s.handle(r)
		}
	})
}

// bqDatasetIDRE: letters, digits and underscores (length checked apart: RE2
// caps repeat counts at 1000).
var bqDatasetIDRE = lazyregexp.New(`^[A-Za-z0-9_]+$`)

// bqLegacyRoles maps the predefined roles BigQuery returns in legacy form.
var bqLegacyRoles = map[string]string{
	"roles/bigquery.dataOwner": "OWNER", "roles/bigquery.dataEditor": "WRITER", "roles/bigquery.dataViewer": "READER",
}

// bqDatasetJSON is the Dataset resource as returned.
type bqDatasetJSON struct {
	Kind             string               `json:"kind"`
	Etag             string               `json:"etag"`
	ID               string               `json:"id"`
	SelfLink         string               `json:"selfLink"`
	DatasetReference *bq.DatasetReference `json:"datasetReference"`
	Description      string               `json:"description,omitempty"`
	FriendlyName     string               `json:"friendlyName,omitempty"`
	Labels           map[string]string    `json:"labels,omitempty"`
	Access           []json.RawMessage    `json:"access"`
	CreationTime     string               `json:"creationTime"`
	LastModifiedTime string               `json:"lastModifiedTime"`
	Location         string               `json:"location"`
	Type             string               `json:"type"`
}

func bqDatasetOut(p *Project, d *Dataset) *bqDatasetJSON {
	return &bqDatasetJSON{Kind: "bigquery#dataset", Etag: d.Etag, ID: p.ID + ":" + d.ID,
		SelfLink:         bqBaseURL + "projects/" + p.ID + "/datasets/" + d.ID,
		DatasetReference: &bq.DatasetReference{ProjectId: p.ID, DatasetId: d.ID},
		Description:      d.Description, FriendlyName: d.FriendlyName, Labels: d.Labels,
		Access:           d.Access,
		CreationTime:     strconv.FormatInt(d.CreatedAt.UnixMilli(), 10),
		LastModifiedTime: strconv.FormatInt(d.ModifiedAt.UnixMilli(), 10),
		Location:         d.Location, Type: "DEFAULT"}
}

func errDatasetNotFound(p *Project, id string) *apiError {
	return errBigQuery(404, "NOT_FOUND", "notFound", fmt.Sprintf("Not found: Dataset %s:%s", p.ID, id))
}

// bqAccessList validates and normalizes access entries: exactly one entity
// each, predefined data roles in their legacy names.
func bqAccessList(in []*bq.DatasetAccess) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(in))
	for _, a := range in {
		n := 0
		for _, set := range []bool{a.UserByEmail != "", a.GroupByEmail != "", a.Domain != "", a.SpecialGroup != "",
			a.IamMember != "", a.View != nil, a.Routine != nil, a.Dataset != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return nil, errBigQuery(400, "INVALID_ARGUMENT", "invalid",
				"An access entry must have exactly one of userByEmail, groupByEmail, domain, specialGroup defined, view, routine, or dataset.")
		}
		if a.Role == "" && a.View == nil && a.Routine == nil && a.Dataset == nil {
			return nil, errBigQuery(400, "INVALID_ARGUMENT", "invalid", "Access entry requires a role.")
		}
		if legacy, ok := bqLegacyRoles[a.Role]; ok {
			a.Role = legacy
		}
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// bqDefaultAccess is what a dataset created without access gets.
func bqDefaultAccess(creator *Identity) []json.RawMessage {
	owner := &bq.DatasetAccess{Role: "OWNER", UserByEmail: creator.Email()}
	if owner.UserByEmail == "" {
		owner = &bq.DatasetAccess{Role: "OWNER", IamMember: creator.Principal}
	}
	list, _ := bqAccessList([]*bq.DatasetAccess{
		{Role: "WRITER", SpecialGroup: "projectWriters"},
		{Role: "OWNER", SpecialGroup: "projectOwners"},
		owner,
		{Role: "READER", SpecialGroup: "projectReaders"},
	})
	return list
}

func bqDatasetsInsert(c *call) (any, error) {
	p, err := c.bqProject(c.args[0])
	if err != nil {
		return nil, err
	}
	var req bq.Dataset
	if err := c.decode(&req); err != nil {
		return nil, bqDecodeErr(err)
	}
	ref := req.DatasetReference
	if ref == nil || ref.DatasetId == "" {
		return nil, errBigQuery(400, "INVALID_ARGUMENT", "required", "Required parameter is missing: datasetReference.datasetId")
	}
	if ref.ProjectId != "" && ref.ProjectId != p.ID && ref.ProjectId != p.Number {
		return nil, errBigQuery(400, "INVALID_ARGUMENT", "invalid", "The project ID in the dataset reference does not match the request.")
	}
	if !bqDatasetIDRE.MatchString(ref.DatasetId) || len(ref.DatasetId) > 1024 {
		return nil, errBigQuery(400, "INVALID_ARGUMENT", "invalid", fmt.Sprintf("Invalid dataset ID %q. Dataset IDs must be alphanumeric (plus underscores) and must be at most 1024 characters long.", ref.DatasetId))
	}
	if p.Datasets[ref.DatasetId] != nil {
		return nil, errBigQuery(409, "ALREADY_EXISTS", "duplicate", fmt.Sprintf("Already Exists: Dataset %s:%s", p.ID, ref.DatasetId))
	}
	caller, _ := c.caller()
	access := bqDefaultAccess(caller)
	if len(req.Access) > 0 {
		if access, err = bqAccessList(req.Access); err != nil {
			return nil, err
		}
	}
	loc := req.Location
	if loc == "" {
		loc = bqLocation
	}
	d := &Dataset{ID: ref.DatasetId, Location: loc, Etag: newEtag(), Access: access, Description: req.Description,
		FriendlyName: req.FriendlyName, Labels: req.Labels, CreatedAt: c.now, ModifiedAt: c.now}
	if p.Datasets == nil {
		p.Datasets = map[string]*Dataset{}
	}
	p.Datasets[d.ID] = d
	return bqDatasetOut(p, d), nil
}

func (c *call) bqDataset() (*Project, *Dataset, error) {
	p, err := c.bqProject(c.args[0])
	if err != nil {
		return nil, nil, err
	}
	d := p.Datasets[c.args[1]]
	if d == nil {
		return nil, nil, errDatasetNotFound(p, c.args[1])
	}
	return p, d, nil
}

func bqDatasetsGet(c *call) (any, error) {
	p, d, err := c.bqDataset()
	if err != nil {
		return nil, err
	}
	return bqDatasetOut(p, d), nil
}

// bqModify applies a patch (full=false) or an update (full=true), honouring
// If-Match.
func bqModify(c *call, full bool) (any, error) {
	p, d, err := c.bqDataset()
	if err != nil {
		return nil, err
	}
	if m := c.r.Header.Get("If-Match"); m != "" && m != "*" && m != d.Etag {
		return nil, errBigQuery(412, "FAILED_PRECONDITION", "conditionNotMet", "Precondition check failed.")
	}
	var req bq.Dataset
	if err := c.decode(&req); err != nil {
		return nil, bqDecodeErr(err)
	}
	if req.Access != nil {
		if d.Access, err = bqAccessList(req.Access); err != nil {
			return nil, err
		}
	}
	if full || req.Description != "" {
		d.Description = req.Description
	}
	if full || req.FriendlyName != "" {
		d.FriendlyName = req.FriendlyName
	}
	if full || req.Labels != nil {
		d.Labels = req.Labels
	}
	d.Etag, d.ModifiedAt = newEtag(), c.now
	return bqDatasetOut(p, d), nil
}

func bqDatasetsPatch(c *call) (any, error)  { return bqModify(c, false) }
func bqDatasetsUpdate(c *call) (any, error) { return bqModify(c, true) }

func bqDatasetsDelete(c *call) (any, error) {
	p, d, err := c.bqDataset()
	if err != nil {
		return nil, err
	}
	delete(p.Datasets, d.ID)
	c.replied = true
	c.w.WriteHeader(204)
	return nil, nil
}

func bqDatasetsList(c *call) (any, error) {
	p, err := c.bqProject(c.args[0])
	if err != nil {
		return nil, err
	}
	ids := sortedKeys(p.Datasets)
	start := 0
	if tok := c.query("pageToken"); tok != "" {
		start = sort.SearchStrings(ids, tok)
		if start < len(ids) && ids[start] == tok {
			start++
		}
	}
	max := 50
	if n, err := strconv.Atoi(c.query("maxResults")); err == nil && n > 0 {
		max = n
	}
	type item struct {
		Kind             string               `json:"kind"`
		ID               string               `json:"id"`
		DatasetReference *bq.DatasetReference `json:"datasetReference"`
		Labels           map[string]string    `json:"labels,omitempty"`
		FriendlyName     string               `json:"friendlyName,omitempty"`
		Location         string               `json:"location"`
	}
	out := struct {
		Kind          string `json:"kind"`
		Etag          string `json:"etag"`
		Datasets      []item `json:"datasets,omitempty"`
		NextPageToken string `json:"nextPageToken,omitempty"`
	}{Kind: "bigquery#datasetList", Etag: newEtag()}
	for i := start; i < len(ids) && len(out.Datasets) < max; i++ {
		d := p.Datasets[ids[i]]
		out.Datasets = append(out.Datasets, item{Kind: "bigquery#dataset", ID: p.ID + ":" + d.ID,
			DatasetReference: &bq.DatasetReference{ProjectId: p.ID, DatasetId: d.ID}, Labels: d.Labels,
			FriendlyName: d.FriendlyName, Location: d.Location})
		if len(out.Datasets) == max && i+1 < len(ids) {
			out.NextPageToken = d.ID
		}
	}
	return out, nil
}
