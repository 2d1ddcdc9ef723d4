package gcp

import (
	"context"
	"fmt"

	bqv2 "google.golang.org/api/bigquery/v2"
	logging "google.golang.org/api/logging/v2"
)

// BigQuery datasets and Logging sinks: what the audit sink is made of
// (audit.Sinks, engine). Errors are classified (*Error).

// GetDataset reads a dataset (KindNotFound when absent).
func (c *Client) GetDataset(ctx context.Context, project, dataset string) (*bqv2.Dataset, error) {
	ds, err := c.bigQueryAPI.Datasets.Get(project, dataset).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("reading dataset %s: %w", dataset, Classify(err))
	}
	return ds, nil
}

// CreateDataset creates ds in project and returns it as created. A dataset
// that exists already is KindAlreadyExists, unless this very call made it
// (its first try was applied but the answer lost): then it is read back and
// returned, as if the create had answered.
func (c *Client) CreateDataset(ctx context.Context, project string, ds *bqv2.Dataset) (*bqv2.Dataset, error) {
	tctx, tries := countingTries(ctx)
	out, err := c.bigQueryAPI.Datasets.Insert(project, ds).Context(tctx).Do()
	if err == nil {
		return out, nil
	}
	id := ds.DatasetReference.DatasetId
	if IsAlreadyExists(err) && tries.Load() > 1 {
		if got, gerr := c.GetDataset(ctx, project, id); gerr == nil && got.Description == ds.Description {
			return got, nil
		}
	}
	return nil, fmt.Errorf("creating dataset %s: %w", id, Classify(err))
}

// ModifyDatasetAccess is ModifyPolicy for a dataset's access list:
// datasets.patch replaces the whole list (gcp-wire §9.2), so fn edits the
// list read and it is written back conditional on that read's etag; a
// concurrent change (412, or 409) redoes the read-modify-write with the
// Client's conflict retry. read is a dataset read moments ago (nil: read it
// now), which saves a request. It reports whether it wrote.
func (c *Client) ModifyDatasetAccess(ctx context.Context, project, dataset string, read *bqv2.Dataset, fn func([]*bqv2.DatasetAccess) ([]*bqv2.DatasetAccess, bool)) (bool, error) {
	written := false
	err := Do(ctx, c.retry, isPolicyConflict, func() error {
		ds := read
		read = nil // a retry reads afresh
		if ds == nil {
			var err error
			if ds, err = c.GetDataset(ctx, project, dataset); err != nil {
				return err
			}
		}
		access, changed := fn(ds.Access)
		if !changed {
			return nil
		}
		call := c.bigQueryAPI.Datasets.Patch(project, dataset, &bqv2.Dataset{Access: access}).Context(ctx)
		if ds.Etag != "" {
			call.Header().Set("If-Match", ds.Etag)
		}
		if _, err := call.Do(); err != nil {
			return fmt.Errorf("writing the access list of dataset %s: %w", dataset, Classify(err))
		}
		written = true
		return nil
	})
	return written, err
}

// GetSink reads a log sink by name ("projects/P/sinks/S"; KindNotFound when
// absent).
func (c *Client) GetSink(ctx context.Context, name string) (*logging.LogSink, error) {
	s, err := c.loggingAPI.Projects.Sinks.Get(name).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("reading sink %s: %w", name, Classify(err))
	}
	return s, nil
}

// CreateSink creates sink under parent ("projects/P") with a unique writer
// identity. A sink that exists already is KindAlreadyExists (the caller
// decides whether to make it its own: an update).
func (c *Client) CreateSink(ctx context.Context, parent string, sink *logging.LogSink) (*logging.LogSink, error) {
	s, err := c.loggingAPI.Projects.Sinks.Create(parent, sink).UniqueWriterIdentity(true).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("creating sink %s: %w", sink.Name, Classify(err))
	}
	return s, nil
}

// UpdateSink writes the mask's fields of sink (unique writer identity).
func (c *Client) UpdateSink(ctx context.Context, name string, sink *logging.LogSink, mask string) (*logging.LogSink, error) {
	s, err := c.loggingAPI.Projects.Sinks.Update(name, sink).UniqueWriterIdentity(true).UpdateMask(mask).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("updating sink %s: %w", name, Classify(err))
	}
	return s, nil
}

// DeleteSink deletes a sink (KindNotFound when absent).
func (c *Client) DeleteSink(ctx context.Context, name string) error {
	if _, err := c.loggingAPI.Projects.Sinks.Delete(name).Context(ctx).Do(); err != nil {
		return fmt.Errorf("deleting sink %s: %w", name, Classify(err))
	}
	return nil
}

// ListLogEntries pages through entries.list with the generated client,
// calling fn per page. (The streaming audit reader posts entries.list itself
// through HTTPClient; this is its slower, fully decoded twin.)
func (c *Client) ListLogEntries(ctx context.Context, req *logging.ListLogEntriesRequest, fn func(*logging.ListLogEntriesResponse) error) error {
	return c.loggingAPI.Entries.List(req).Pages(ctx, fn)
}
