package emulator

import (
	"encoding/json"
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"slices"
	"sort"
	"strings"
	"time"

	iam "google.golang.org/api/iam/v1"

	"github.com/fedctl/fedctl/wif"
)

// Workload identity pools and their OIDC providers (gcp-wire §5.5): create,
// get, list, patch, delete (a 30-day soft delete: the resource stays
// readable in state DELETED and its ID stays taken), undelete, and the
// LROs every mutation returns. Resource names use the project NUMBER.
//
// Effects are applied when the request is handled and the operation only
// reports them (it still answers done:false to the first polls), so a
// create followed at once by a get finds the resource, as clients that skip
// polling expect.

const (
	wifFeature      = "iam.workloadIdentityPools"
	wifPurgeAfter   = 30 * 24 * time.Hour
	wifPoolType     = "type.googleapis.com/google.iam.v1.WorkloadIdentityPool"
	wifProviderType = "type.googleapis.com/google.iam.v1.WorkloadIdentityPoolProvider"
	wifPoolsPath    = `^/v1/projects/([^/]+)/locations/global/workloadIdentityPools`
	wifPoolPath     = wifPoolsPath + `/([^/:]+)`
	wifProvsPath    = wifPoolPath + `/providers`
	wifProvPath     = wifProvsPath + `/([^/:]+)`
	wifMaxPageSize  = 100
	wifMaxAudiences = 10
)

var wifIDPattern = lazyregexp.New(`^[a-z0-9-]{4,32}$`)

// sharedIssuers are multi-tenant issuers for which Google refuses a
// provider without a condition that reads a claim.
var sharedIssuers = map[string]bool{
	"https://token.actions.githubusercontent.com": true,
	"https://gitlab.com":                          true,
	"https://app.terraform.io":                    true,
}

func init() {
	registerAPI(func(s *Server) {
		const p = "iam.projects.locations.workloadIdentityPools."
		for _, r := range []*route{
			{Method: "POST", Pattern: wifPoolsPath + `$`, Name: p + "create", Mutates: true, Handler: poolCreate},
			{Method: "GET", Pattern: wifPoolsPath + `$`, Name: p + "list", Handler: poolList},
			{Method: "GET", Pattern: wifPoolPath + `$`, Name: p + "get", Handler: poolGet},
			{Method: "PATCH", Pattern: wifPoolPath + `$`, Name: p + "patch", Mutates: true, Handler: poolPatch},
			{Method: "DELETE", Pattern: wifPoolPath + `$`, Name: p + "delete", Mutates: true, Handler: poolDelete},
			{Method: "POST", Pattern: wifPoolPath + `:undelete$`, Name: p + "undelete", Mutates: true, Handler: poolUndelete},
			{Method: "GET", Pattern: wifPoolPath + `/operations/([^/]+)$`, Name: p + "operations.get", Handler: wifOperationGet},
			{Method: "POST", Pattern: wifProvsPath + `$`, Name: p + "providers.create", Mutates: true, Handler: providerCreate},
			{Method: "GET", Pattern: wifProvsPath + `$`, Name: p + "providers.list", Handler: providerList},
			{Method: "GET", Pattern: wifProvPath + `$`, Name: p + "providers.get", Handler: providerGet},
			{Method: "PATCH", Pattern: wifProvPath + `$`, Name: p + "providers.patch", Mutates: true, Handler: providerPatch},
			{Method: "DELETE", Pattern: wifProvPath + `$`, Name: p + "providers.delete", Mutates: true, Handler: providerDelete},
			{Method: "POST", Pattern: wifProvPath + `:undelete$`, Name: p + "providers.undelete", Mutates: true, Handler: providerUndelete},
			{Method: "GET", Pattern: wifProvPath + `/operations/([^/]+)$`, Name: p + "providers.operations.get", Handler: wifOperationGet},
		} {
			r.Service = "iam"
			s.handle(r)
		}
	})
}

// wifState is the feature's persisted state.
type wifState struct {
	// Pools by "PROJECT_ID/POOL_ID".
	Pools map[string]*wifPool `json:"pools,omitempty"`
}

// wifCommon are the fields pools and providers share.
type wifCommon struct {
	DisplayName string    `json:"displayName,omitempty"`
	Description string    `json:"description,omitempty"`
	Disabled    bool      `json:"disabled,omitempty"`
	State       string    `json:"state"` // ACTIVE | DELETED
	DeletedAt   time.Time `json:"deletedAt,omitzero"`
}

type wifPool struct {
	wifCommon
	Providers map[string]*wifProvider `json:"providers,omitempty"`
}

type wifProvider struct {
	wifCommon
	AttributeMapping   map[string]string `json:"attributeMapping,omitempty"`
	AttributeCondition string            `json:"attributeCondition,omitempty"`
	OIDC               iam.Oidc          `json:"oidc"`
}

func (w *wifCommon) expireTime() string {
	if w.State != "DELETED" {
		return ""
	}
	return w.DeletedAt.Add(wifPurgeAfter).UTC().Format(time.RFC3339Nano)
}

// loadWIF reads the feature state, dropping what was purged (deleted more
// than 30 days ago): from then on the ID is free again.
func loadWIF(st *State, now time.Time) *wifState {
	var ws wifState
	if err := st.GetExt(wifFeature, &ws); err != nil || ws.Pools == nil {
		ws.Pools = map[string]*wifPool{}
	}
	for k, p := range ws.Pools {
		if p.State == "DELETED" && now.Sub(p.DeletedAt) >= wifPurgeAfter {
			delete(ws.Pools, k)
			continue
		}
		for id, pv := range p.Providers {
			if pv.State == "DELETED" && now.Sub(pv.DeletedAt) >= wifPurgeAfter {
				delete(p.Providers, id)
			}
		}
	}
	return &ws
}

func saveWIF(c *call, ws *wifState) error { return c.st.PutExt(wifFeature, ws) }

// wifCall is a pool or provider request resolved against the state.
type wifCall struct {
	c      *call
	p      *Project
	ws     *wifState
	poolID string
	pool   *wifPool // nil when absent
	provID string
	prov   *wifProvider // nil when absent (or not a provider request)
}

func (w *wifCall) poolName() string { return wif.PoolName(w.p.Number, w.poolID) }
func (w *wifCall) provName() string { return w.poolName() + "/providers/" + w.provID }
func (w *wifCall) poolKey() string  { return w.p.ID + "/" + w.poolID }
func (w *wifCall) save() error      { return saveWIF(w.c, w.ws) }
func (w *wifCall) notFound() error  { return errNotFound("Requested entity was not found.") }
func (w *wifCall) poolWire() any    { return poolWire(w.poolName(), w.pool) }
func (w *wifCall) provWire() any    { return providerWire(w.provName(), w.prov) }
func (w *wifCall) opName(res string) string {
	return res + "/operations/" + strings.ToLower(w.c.newID("bigar"))
}

// resolveWIF resolves c.args: [project, pool] or [project, pool, provider].
func resolveWIF(c *call) (*wifCall, error) {
	p, err := iamProject(c, c.args[0])
	if err != nil {
		return nil, err
	}
	w := &wifCall{c: c, p: p, ws: loadWIF(c.st, c.now)}
	if len(c.args) > 1 {
		w.poolID = c.args[1]
		w.pool = w.ws.Pools[w.poolKey()]
	}
	if len(c.args) > 2 && w.pool != nil {
		w.provID = c.args[2]
		w.prov = w.pool.Providers[w.provID]
	} else if len(c.args) > 2 {
		w.provID = c.args[2]
	}
	return w, nil
}

// operation starts the LRO of a mutation on resource name res, completing
// with the resource as it now is.
func (w *wifCall) operation(res, typeURL string, resource any) (any, error) {
	resp, err := typed(typeURL, resource)
	if err != nil {
		return nil, err
	}
	op, err := w.c.startOperation(w.opName(res), nil, resp)
	if err != nil {
		return nil, err
	}
	if err := w.save(); err != nil {
		return nil, err
	}
	return op.wire(), nil
}

func wifOperationGet(c *call) (any, error) {
	if _, err := iamProject(c, c.args[0]); err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(c.path, "/v1/")
	return c.pollOperation(name, "projects/")
}

func poolWire(name string, p *wifPool) *iam.WorkloadIdentityPool {
	return &iam.WorkloadIdentityPool{Name: name, DisplayName: p.DisplayName, Description: p.Description,
		Disabled: p.Disabled, State: p.State, ExpireTime: p.expireTime(), Mode: "FEDERATION_ONLY"}
}

func providerWire(name string, pv *wifProvider) *iam.WorkloadIdentityPoolProvider {
	oidc := pv.OIDC
	return &iam.WorkloadIdentityPoolProvider{Name: name, DisplayName: pv.DisplayName, Description: pv.Description,
		Disabled: pv.Disabled, State: pv.State, ExpireTime: pv.expireTime(),
		AttributeMapping: pv.AttributeMapping, AttributeCondition: pv.AttributeCondition, Oidc: &oidc}
}

// validWIFID checks a pool or provider ID (gcp-wire §5.5).
func validWIFID(kind, id string) error {
	if !wifIDPattern.MatchString(id) || strings.HasPrefix(id, "gcp-") {
		return errInvalid(fmt.Sprintf("Invalid %s ID %q: it must be 4-32 characters, and may contain the characters [a-z0-9-]. The prefix `gcp-` is reserved for use by Google, and may not be specified.", kind, id))
	}
	return nil
}

func validCommon(displayName, description string) error {
	if n := len([]rune(displayName)); n > 32 {
		return errInvalid(fmt.Sprintf("display_name must be at most 32 characters, got %d.", n))
	}
	if n := len([]rune(description)); n > 256 {
		return errInvalid(fmt.Sprintf("description must be at most 256 characters, got %d.", n))
	}
	return nil
}

// --- pools ---

func poolCreate(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	w.poolID = c.query("workloadIdentityPoolId")
	if err := validWIFID("workload identity pool", w.poolID); err != nil {
		return nil, err
	}
	var in iam.WorkloadIdentityPool
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := validCommon(in.DisplayName, in.Description); err != nil {
		return nil, err
	}
	if w.ws.Pools[w.poolKey()] != nil {
		return nil, errAlreadyExists("Requested entity already exists")
	}
	w.pool = &wifPool{wifCommon: wifCommon{DisplayName: in.DisplayName, Description: in.Description,
		Disabled: in.Disabled, State: "ACTIVE"}, Providers: map[string]*wifProvider{}}
	w.ws.Pools[w.poolKey()] = w.pool
	return w.operation(w.poolName(), wifPoolType, w.poolWire())
}

func poolGet(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	if w.pool == nil {
		return nil, w.notFound()
	}
	return w.poolWire(), nil
}

func poolList(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	size, err := c.pageSize(wifMaxPageSize, wifMaxPageSize)
	if err != nil {
		return nil, err
	}
	showDeleted := c.query("showDeleted") == "true"
	var ids []string
	for k, p := range w.ws.Pools {
		if id, ok := strings.CutPrefix(k, w.p.ID+"/"); ok && (showDeleted || p.State != "DELETED") {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	keys, next, err := c.page(ids, size)
	if err != nil {
		return nil, err
	}
	out := &iam.ListWorkloadIdentityPoolsResponse{NextPageToken: next}
	for _, id := range keys {
		out.WorkloadIdentityPools = append(out.WorkloadIdentityPools, poolWire(wif.PoolName(w.p.Number, id), w.ws.Pools[w.p.ID+"/"+id]))
	}
	return out, nil
}

func poolPatch(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	if w.pool == nil {
		return nil, w.notFound()
	}
	if w.pool.State == "DELETED" {
		return nil, errFailedPrecondition("Cannot update a deleted workload identity pool.")
	}
	var in iam.WorkloadIdentityPool
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	fields, err := wifUpdateMask(c, "displayName", "description", "disabled")
	if err != nil {
		return nil, err
	}
	next := w.pool.wifCommon
	for _, f := range fields {
		switch f {
		case "displayName":
			next.DisplayName = in.DisplayName
		case "description":
			next.Description = in.Description
		case "disabled":
			next.Disabled = in.Disabled
		}
	}
	if err := validCommon(next.DisplayName, next.Description); err != nil {
		return nil, err
	}
	w.pool.wifCommon = next
	return w.operation(w.poolName(), wifPoolType, w.poolWire())
}

func poolDelete(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	if w.pool == nil {
		return nil, w.notFound()
	}
	if err := softDelete(&w.pool.wifCommon, c.now); err != nil {
		return nil, err
	}
	return w.operation(w.poolName(), wifPoolType, w.poolWire())
}

func poolUndelete(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	if w.pool == nil {
		return nil, w.notFound()
	}
	if err := undelete(&w.pool.wifCommon); err != nil {
		return nil, err
	}
	return w.operation(w.poolName(), wifPoolType, w.poolWire())
}

func softDelete(r *wifCommon, now time.Time) error {
	if r.State == "DELETED" {
		return errFailedPrecondition("The resource is already deleted.")
	}
	r.State, r.DeletedAt = "DELETED", now
	return nil
}

func undelete(r *wifCommon) error {
	if r.State != "DELETED" {
		return errFailedPrecondition("The resource is not deleted.")
	}
	r.State, r.DeletedAt = "ACTIVE", time.Time{}
	return nil
}

// wifUpdateMask parses the updateMask query parameter (camelCase or
// snake_case paths) against the allowed fields; Google requires one.
func wifUpdateMask(c *call, allowed ...string) ([]string, error) {
	raw := c.query("updateMask")
	if raw == "" {
		return nil, errInvalid("update_mask is required.")
	}
	var out []string
	for _, f := range strings.Split(raw, ",") {
		f = snakeToCamel(strings.TrimSpace(f))
		if !slices.Contains(allowed, f) {
			return nil, errInvalid(fmt.Sprintf("Invalid update mask path: %q.", f))
		}
		out = append(out, f)
	}
	return out, nil
}

func snakeToCamel(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		switch {
		case r == '_':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// --- providers ---

// activePool checks the pool a provider request names; a deleted pool
// takes no new or changed providers.
func (w *wifCall) activePool() error {
	if w.pool == nil {
		return w.notFound()
	}
	if w.pool.State == "DELETED" {
		return errFailedPrecondition("The workload identity pool is deleted.")
	}
	return nil
}

func providerCreate(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	if err := w.activePool(); err != nil {
		return nil, err
	}
	w.provID = c.query("workloadIdentityPoolProviderId")
	if err := validWIFID("workload identity pool provider", w.provID); err != nil {
		return nil, err
	}
	var in iam.WorkloadIdentityPoolProvider
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.Oidc == nil {
		return nil, errInvalid("The emulator supports OIDC providers only: set oidc.")
	}
	pv := &wifProvider{wifCommon: wifCommon{DisplayName: in.DisplayName, Description: in.Description,
		Disabled: in.Disabled, State: "ACTIVE"},
		AttributeMapping: in.AttributeMapping, AttributeCondition: in.AttributeCondition, OIDC: *in.Oidc}
	if err := validateProvider(c.s, pv); err != nil {
		return nil, err
	}
	if err := c.checkProviderIssuer(w.p, w.poolID, pv.OIDC.IssuerUri); err != nil {
		return nil, err
	}
	if w.pool.Providers[w.provID] != nil {
		return nil, errAlreadyExists("Requested entity already exists")
	}
	if w.pool.Providers == nil {
		w.pool.Providers = map[string]*wifProvider{}
	}
	w.pool.Providers[w.provID] = pv
	w.prov = pv
	return w.operation(w.provName(), wifProviderType, w.provWire())
}

// validateProvider applies Google's create/update rules to an OIDC provider.
func validateProvider(s *Server, pv *wifProvider) error {
	if err := validCommon(pv.DisplayName, pv.Description); err != nil {
		return err
	}
	if pv.OIDC.IssuerUri == "" {
		return errInvalid("oidc.issuer_uri is required.")
	}
	if !strings.HasPrefix(pv.OIDC.IssuerUri, "https://") && !isDemoIssuerURL(s, pv.OIDC.IssuerUri) {
		return errInvalid("The issuer URI must use the https scheme.")
	}
	if len(pv.OIDC.AllowedAudiences) > wifMaxAudiences {
		return errInvalid(fmt.Sprintf("At most %d allowed audiences may be specified.", wifMaxAudiences))
	}
	if j := pv.OIDC.JwksJson; j != "" {
		if _, err := wif.ParseJWKS([]byte(j)); err != nil {
			return errInvalid("Invalid jwks_json: " + err.Error())
		}
	}
	if _, ok := pv.AttributeMapping["google.subject"]; !ok {
		return errInvalid("The attribute mapping must contain a mapping for google.subject.")
	}
	if len(pv.AttributeCondition) > 4096 {
		return errInvalid("The attribute condition must be at most 4096 characters.")
	}
	if _, err := wif.Compile(pv.AttributeMapping, pv.AttributeCondition); err != nil {
		var first *wif.ExprError
		if es, ok := err.(wif.ExprErrors); ok && len(es) > 0 {
			first = es[0]
		}
		if first != nil && first.Field == wif.FieldCondition {
			return errInvalid("Invalid attribute condition: " + first.Message)
		}
		msg := err.Error()
		if first != nil {
			msg = first.Key + ": " + first.Message
		}
		return errInvalid("Invalid attribute mapping: " + msg)
	}
	cond := strings.TrimSpace(pv.AttributeCondition)
	if (cond != "" && !wif.ConditionReadsClaim(cond)) || (cond == "" && sharedIssuers[strings.TrimSuffix(pv.OIDC.IssuerUri, "/")]) {
		return errInvalid(wif.ConditionNoClaimMessage)
	}
	return nil
}

func providerGet(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	if w.prov == nil {
		return nil, w.notFound()
	}
	return w.provWire(), nil
}

func providerList(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	if w.pool == nil {
		return nil, w.notFound()
	}
	size, err := c.pageSize(wifMaxPageSize, wifMaxPageSize)
	if err != nil {
		return nil, err
	}
	showDeleted := c.query("showDeleted") == "true"
	var ids []string
	for id, pv := range w.pool.Providers {
		if showDeleted || pv.State != "DELETED" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	keys, next, err := c.page(ids, size)
	if err != nil {
		return nil, err
	}
	out := &iam.ListWorkloadIdentityPoolProvidersResponse{NextPageToken: next}
	for _, id := range keys {
		out.WorkloadIdentityPoolProviders = append(out.WorkloadIdentityPoolProviders,
			providerWire(w.poolName()+"/providers/"+id, w.pool.Providers[id]))
	}
	return out, nil
}

func providerPatch(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	if w.prov == nil {
		return nil, w.notFound()
	}
	if err := w.activePool(); err != nil {
		return nil, err
	}
	if w.prov.State == "DELETED" {
		return nil, errFailedPrecondition("Cannot update a deleted workload identity pool provider.")
	}
	var in iam.WorkloadIdentityPoolProvider
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	fields, err := wifUpdateMask(c, "displayName", "description", "disabled", "attributeMapping", "attributeCondition",
		"oidc", "oidc.issuerUri", "oidc.allowedAudiences", "oidc.jwksJson")
	if err != nil {
		return nil, err
	}
	next := cloneProvider(w.prov)
	oidc := iam.Oidc{}
	if in.Oidc != nil {
		oidc = *in.Oidc
	}
	for _, f := range fields {
		switch f {
		case "displayName":
			next.DisplayName = in.DisplayName
		case "description":
			next.Description = in.Description
		case "disabled":
			next.Disabled = in.Disabled
		case "attributeMapping":
			next.AttributeMapping = in.AttributeMapping
		case "attributeCondition":
			next.AttributeCondition = in.AttributeCondition
		case "oidc":
			next.OIDC = oidc
		case "oidc.issuerUri":
			next.OIDC.IssuerUri = oidc.IssuerUri
		case "oidc.allowedAudiences":
			next.OIDC.AllowedAudiences = oidc.AllowedAudiences
		case "oidc.jwksJson":
			next.OIDC.JwksJson = oidc.JwksJson
		}
	}
	if err := validateProvider(c.s, next); err != nil {
		return nil, err
	}
	if next.OIDC.IssuerUri != w.prov.OIDC.IssuerUri {
		if err := c.checkProviderIssuer(w.p, w.poolID, next.OIDC.IssuerUri); err != nil {
			return nil, err
		}
	}
	w.pool.Providers[w.provID] = next
	w.prov = next
	return w.operation(w.provName(), wifProviderType, w.provWire())
}

func cloneProvider(pv *wifProvider) *wifProvider {
	b, _ := json.Marshal(pv)
	var out wifProvider
	json.Unmarshal(b, &out)
	return &out
}

func providerDelete(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	if w.prov == nil {
		return nil, w.notFound()
	}
	if err := softDelete(&w.prov.wifCommon, c.now); err != nil {
		return nil, err
	}
	return w.operation(w.provName(), wifProviderType, w.provWire())
}

func providerUndelete(c *call) (any, error) {
	w, err := resolveWIF(c)
	if err != nil {
		return nil, err
	}
	if w.prov == nil {
		return nil, w.notFound()
	}
	if err := w.activePool(); err != nil {
		return nil, err
	}
	if err := undelete(&w.prov.wifCommon); err != nil {
		return nil, err
	}
	return w.operation(w.provName(), wifProviderType, w.provWire())
}
