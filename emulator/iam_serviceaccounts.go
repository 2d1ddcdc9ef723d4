package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	iam "google.golang.org/api/iam/v1"
)

// IAM v1 service accounts (gcp-wire §5.1–5.3): create, get, list, patch,
// delete, undelete, enable, disable and the SA's own IAM policy. Paths are
// after the "iam" prefix. Every handler first requires iam.googleapis.com in
// the project.

const (
	iamService         = "iam.googleapis.com"
	saDefaultPageSize  = 20
	saMaxPageSize      = 100
	saUndeleteWindow   = 30 * 24 * time.Hour
	deletedSAsFeature  = "iam.deletedServiceAccounts"
	maxDisplayNameLen  = 100
	maxDescriptionLen  = 256
	systemKeyLifetime  = 2 * 365 * 24 * time.Hour
	saPath             = `^/v1/projects/([^/]+)/serviceAccounts`
	saNamePath         = saPath + `/([^/:]+)`
	permSAGet          = "iam.serviceAccounts.get"
	permSAGetIamPolicy = "iam.serviceAccounts.getIamPolicy"
)

var accountIDPattern = lazyregexp.New(`^[a-z]([-a-z0-9]*[a-z0-9])$`)

func init() {
	registerAPI(func(s *Server) {
		const p = "iam.projects.serviceAccounts."
		for _, r := range []*route{
			{Method: "POST", Pattern: saPath + `$`, Name: p + "create", Mutates: true, Handler: saCreate},
			{Method: "GET", Pattern: saPath + `$`, Name: p + "list", Handler: saList},
			{Method: "GET", Pattern: saNamePath + `$`, Name: p + "get", Handler: saGet},
			{Method: "PATCH", Pattern: saNamePath + `$`, Name: p + "patch", Mutates: true, Handler: saPatch},
			{Method: "DELETE", Pattern: saNamePath + `$`, Name: p + "delete", Mutates: true, Handler: saDelete},
			{Method: "POST", Pattern: saNamePath + `:enable$`, Name: p + "enable", Mutates: true, Handler: func(c *call) (any, error) { return saSetDisabled(c, false) }},
			{Method: "POST", Pattern: saNamePath + `:disable$`, Name: p + "disable", Mutates: true, Handler: func(c *call) (any, error) { return saSetDisabled(c, true) }},
			{Method: "POST", Pattern: saNamePath + `:undelete$`, Name: p + "undelete", Mutates: true, Handler: saUndelete},
			{Method: "POST", Pattern: saNamePath + `:getIamPolicy$`, Name: p + "getIamPolicy", Handler: saGetIamPolicy},
			{Method: "POST", Pattern: saNamePath + `:setIamPolicy$`, Name: p + "setIamPolicy", Mutates: true, Handler: saSetIamPolicy},
			{Method: "POST", Pattern: saNamePath + `:testIamPermissions$`, Name: p + "testIamPermissions", Handler: saTestIamPermissions},
		} {
			r.Service = "iam"
			s.handle(r)
		}
	})
}

// iamProject resolves the project of an iam request and requires the API.
// IAM answers an unknown project with 404 (not CRM's 403).
func iamProject(c *call, named string) (*Project, error) {
	p := c.st.ProjectByIDOrNumber(named)
	if p == nil {
		return nil, errNotFound("Requested entity was not found.")
	}
	if err := c.requireService(p, iamService, named); err != nil {
		return nil, err
	}
	return p, nil
}

// lookupSA resolves projects/{project}/serviceAccounts/{email|uniqueId} for
// c.args[0:2]. A missing (or not yet visible) account is 404 "Unknown service
// account"; with the "-" project wildcard it is the 403 Google documents,
// naming permission.
func lookupSA(c *call, permission string) (*Project, *ServiceAccount, error) {
	named, account := c.args[0], c.args[1]
	if named == "-" {
		p, sa := c.st.FindServiceAccount(account)
		if sa == nil || !c.saVisible(sa) {
			return nil, nil, errIAMPermissionDenied(permission)
		}
		if err := c.requireService(p, iamService, p.ID); err != nil {
			return nil, nil, err
		}
		return p, sa, nil
	}
	p, err := iamProject(c, named)
	if err != nil {
		return nil, nil, err
	}
	sa := p.ServiceAccounts[account]
	if sa == nil {
		for _, x := range p.ServiceAccounts {
			if x.UniqueID == account {
				sa = x
			}
		}
	}
	if sa == nil || !c.saVisible(sa) {
		return nil, nil, errNotFound("Unknown service account")
	}
	return p, sa, nil
}

// saWire is the ServiceAccount resource.
func saWire(p *Project, sa *ServiceAccount) *iam.ServiceAccount {
	return &iam.ServiceAccount{
		Name: "projects/" + p.ID + "/serviceAccounts/" + sa.Email, ProjectId: p.ID,
		UniqueId: sa.UniqueID, Email: sa.Email, DisplayName: sa.DisplayName, Description: sa.Description,
		Etag: sa.Etag, Oauth2ClientId: sa.UniqueID, Disabled: sa.Disabled,
	}
}

// saEmailDomain is the email domain of a project's SAs; a domain-scoped
// project "example.com:proj" has "proj.example.com.iam.gserviceaccount.com".
func saEmailDomain(projectID string) string {
	if dom, name, ok := strings.Cut(projectID, ":"); ok {
		return name + "." + dom + ".iam.gserviceaccount.com"
	}
	return projectID + ".iam.gserviceaccount.com"
}

// newUniqueID returns an unused 21-digit SA unique ID.
func newUniqueID(st *State) string {
	for {
		n, err := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil))
		if err != nil {
			panic(err)
		}
		id := fmt.Sprintf("1%020d", n)
		if _, taken := st.FindServiceAccount(id); taken == nil {
			return id
		}
	}
}

func checkAccountID(id string) error {
	if n := len(id); n < 6 || n > 30 {
		return errInvalid(fmt.Sprintf("The account ID %q does not have a length between 6 and 30.", id))
	}
	if !accountIDPattern.MatchString(id) {
		return errBadRequest(id + ` does not match [a-z][a-z\d\-]*[a-z\d].`)
	}
	return nil
}

func checkSAText(displayName, description string) error {
	if len(displayName) > maxDisplayNameLen {
		return errInvalid(fmt.Sprintf("Display name must be at most %d bytes long.", maxDisplayNameLen))
	}
	if len(description) > maxDescriptionLen {
		return errInvalid(fmt.Sprintf("Description must be at most %d bytes long.", maxDescriptionLen))
	}
	return nil
}

func saCreate(c *call) (any, error) {
	p, err := iamProject(c, c.args[0])
	if err != nil {
		return nil, err
	}
	var req iam.CreateServiceAccountRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := checkAccountID(req.AccountId); err != nil {
		return nil, err
	}
	in := req.ServiceAccount
	if in == nil {
		in = &iam.ServiceAccount{}
	}
	if err := checkSAText(in.DisplayName, in.Description); err != nil {
		return nil, err
	}
	email := req.AccountId + "@" + saEmailDomain(p.ID)
	if p.ServiceAccounts[email] != nil {
		resource := "projects/" + p.ID + "/serviceAccounts/" + email
		e := errAlreadyExists(fmt.Sprintf("Service account %s already exists within project projects/%s.", req.AccountId, p.ID))
		e.Reason = "alreadyExists"
		e.Details = []map[string]any{{"@type": "type.googleapis.com/google.rpc.ResourceInfo", "resourceName": resource}}
		return nil, e
	}
	sa := &ServiceAccount{Email: email, AccountID: req.AccountId, UniqueID: newUniqueID(c.st),
		DisplayName: in.DisplayName, Description: in.Description, CreatedAt: c.now, Etag: newEtag(),
		Keys: []*SAKey{newSystemKey(c.now)}}
	if p.ServiceAccounts == nil {
		p.ServiceAccounts = map[string]*ServiceAccount{}
	}
	p.ServiceAccounts[email] = sa
	return saWire(p, sa), nil
}

// newSystemKey is the Google-held key every SA has (no key material here:
// the emulator never signs with it).
func newSystemKey(now time.Time) *SAKey {
	return &SAKey{ID: hex.EncodeToString(randomBytes(20)), KeyType: "SYSTEM_MANAGED",
		ValidAfter: now.UTC().Truncate(time.Second), ValidBefore: now.UTC().Truncate(time.Second).Add(systemKeyLifetime)}
}

func saGet(c *call) (any, error) {
	p, sa, err := lookupSA(c, permSAGet)
	if err != nil {
		return nil, err
	}
	return saWire(p, sa), nil
}

func saList(c *call) (any, error) {
	p, err := iamProject(c, c.args[0])
	if err != nil {
		return nil, err
	}
	size, err := c.pageSize(saDefaultPageSize, saMaxPageSize)
	if err != nil {
		return nil, err
	}
	var emails []string
	for e, sa := range p.ServiceAccounts {
		if c.saVisible(sa) {
			emails = append(emails, e)
		}
	}
	sort.Strings(emails)
	keys, next, err := c.page(emails, size)
	if err != nil {
		return nil, err
	}
	out := &iam.ListServiceAccountsResponse{NextPageToken: next}
	for _, e := range keys {
		out.Accounts = append(out.Accounts, saWire(p, p.ServiceAccounts[e]))
	}
	return out, nil
}

func saPatch(c *call) (any, error) {
	p, sa, err := lookupSA(c, "iam.serviceAccounts.update")
	if err != nil {
		return nil, err
	}
	var req iam.PatchServiceAccountRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	in := req.ServiceAccount
	if in == nil {
		return nil, errInvalid("Request contains an invalid argument.")
	}
	if in.Etag != "" && !etagsEqual(in.Etag, sa.Etag) {
		return nil, errAborted()
	}
	name, desc := sa.DisplayName, sa.Description
	mask := req.UpdateMask
	if strings.TrimSpace(mask) == "" {
		mask = "display_name,description"
	}
	for _, f := range strings.Split(mask, ",") {
		switch strings.TrimSpace(f) {
		case "displayName", "display_name":
			name = in.DisplayName
		case "description":
			desc = in.Description
		default:
			return nil, errInvalid(fmt.Sprintf("Invalid update mask path %q: only display_name and description can be updated.", strings.TrimSpace(f)))
		}
	}
	if err := checkSAText(name, desc); err != nil {
		return nil, err
	}
	sa.DisplayName, sa.Description, sa.Etag = name, desc, newEtag()
	return saWire(p, sa), nil
}

// deletedSA is a deleted account kept for undelete (30 days).
type deletedSA struct {
	ProjectID string          `json:"projectId"`
	Account   *ServiceAccount `json:"account"`
	DeletedAt time.Time       `json:"deletedAt"`
}

func deletedMember(sa *ServiceAccount) string {
	return "deleted:serviceAccount:" + sa.Email + "?uid=" + sa.UniqueID
}

// saDelete removes the account; policies that named it now show
// deleted:serviceAccount:EMAIL?uid=N, as Google's do.
func saDelete(c *call) (any, error) {
	p, sa, err := lookupSA(c, "iam.serviceAccounts.delete")
	if err != nil {
		return nil, err
	}
	deleted := map[string]*deletedSA{}
	if err := c.st.GetExt(deletedSAsFeature, &deleted); err != nil {
		return nil, err
	}
	for uid, d := range deleted { // forget those past the undelete window
		if c.now.Sub(d.DeletedAt) > saUndeleteWindow {
			delete(deleted, uid)
		}
	}
	sa.Keys = nil // keys die with the account
	deleted[sa.UniqueID] = &deletedSA{ProjectID: p.ID, Account: sa, DeletedAt: c.now}
	if err := c.st.PutExt(deletedSAsFeature, deleted); err != nil {
		return nil, err
	}
	delete(p.ServiceAccounts, sa.Email)
	c.st.renameMemberEverywhere("serviceAccount:"+sa.Email, deletedMember(sa))
	return nil, nil
}

// saUndelete restores an account deleted less than 30 days ago, addressed by
// its uniqueId, with its bindings (they were kept as deleted: members).
func saUndelete(c *call) (any, error) {
	named, account := c.args[0], c.args[1]
	if named != "-" {
		if _, err := iamProject(c, named); err != nil {
			return nil, err
		}
	}
	deleted := map[string]*deletedSA{}
	if err := c.st.GetExt(deletedSAsFeature, &deleted); err != nil {
		return nil, err
	}
	d := deleted[account]
	if d == nil || c.now.Sub(d.DeletedAt) > saUndeleteWindow {
		if p, sa := c.st.FindServiceAccount(account); sa != nil && sa.UniqueID == account {
			return &iam.UndeleteServiceAccountResponse{RestoredAccount: saWire(p, sa)}, nil
		}
		return nil, errNotFound("Unknown service account")
	}
	p := c.st.Projects[d.ProjectID]
	if p == nil {
		return nil, errNotFound("Unknown service account")
	}
	if named != "-" && c.st.ProjectByIDOrNumber(named) != p {
		return nil, errNotFound("Unknown service account")
	}
	if err := c.requireService(p, iamService, p.ID); err != nil {
		return nil, err
	}
	sa := d.Account
	if p.ServiceAccounts[sa.Email] != nil {
		return nil, errFailedPrecondition(fmt.Sprintf("Account with email %s already exists.", sa.Email))
	}
	sa.Keys = []*SAKey{newSystemKey(c.now)}
	p.ServiceAccounts[sa.Email] = sa
	delete(deleted, account)
	if err := c.st.PutExt(deletedSAsFeature, deleted); err != nil {
		return nil, err
	}
	c.st.renameMemberEverywhere(deletedMember(sa), "serviceAccount:"+sa.Email)
	return &iam.UndeleteServiceAccountResponse{RestoredAccount: saWire(p, sa)}, nil
}

func saSetDisabled(c *call, disabled bool) (any, error) {
	_, sa, err := lookupSA(c, "iam.serviceAccounts."+map[bool]string{true: "disable", false: "enable"}[disabled])
	if err != nil {
		return nil, err
	}
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	sa.Disabled = disabled
	return nil, nil
}

// saGetIamPolicy: the version comes as ?options.requestedPolicyVersion=N
// (no body).
func saGetIamPolicy(c *call) (any, error) {
	_, sa, err := lookupSA(c, permSAGetIamPolicy)
	if err != nil {
		return nil, err
	}
	var version int64
	if v := c.query("options.requestedPolicyVersion"); v != "" {
		n, perr := strconv.ParseInt(v, 10, 32)
		if perr != nil {
			return nil, errInvalid(fmt.Sprintf("Invalid value at 'options.requested_policy_version' (TYPE_INT32), %q", v))
		}
		version = n
	}
	return readPolicy(sa.Policy, version)
}

func saSetIamPolicy(c *call) (any, error) {
	p, sa, err := lookupSA(c, "iam.serviceAccounts.setIamPolicy")
	if err != nil {
		return nil, err
	}
	var req setIamPolicyRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	next, err := c.writePolicy(sa.Policy, &req, false)
	if err != nil {
		return nil, err
	}
	if err := c.checkMemberDomains(p, sa.Policy, next); err != nil {
		return nil, err
	}
	sa.Policy = next
	return readPolicy(next, 3)
}

// saTestIamPermissions: the SA's own policy and its project's both count.
func saTestIamPermissions(c *call) (any, error) {
	p, sa, err := lookupSA(c, permSAGet)
	if err != nil {
		return nil, err
	}
	var req permissionsMessage
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	return c.heldPermissions(req.Permissions, sa.Policy, p.Policy)
}
