package gcp

import (
	"context"
	"fmt"
	"strconv"

	cloudresourcemanager "google.golang.org/api/cloudresourcemanager/v1"
)

// GetProject reads a project's identity (crm v1 projects.get). A missing
// project and one the caller may not see both come back as 403 from Google.
func (c *Client) GetProject(ctx context.Context, project string) (*Project, error) {
	var p *cloudresourcemanager.Project
	p, err := c.crm.Projects.Get(project).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("reading project %s: %w", project, Classify(err))
	}
	return &Project{
		ID:     p.ProjectId,
		Number: strconv.FormatInt(p.ProjectNumber, 10),
		Name:   p.Name,
		State:  p.LifecycleState,
	}, nil
}
