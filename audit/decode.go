package audit

// Decoders from LogEntry / AuditLog JSON into the narrow tree of parse.go,
// on the skipping scanner of jsonscan.go. Each reads only the members named
// in its switch; everything else is skipped.

// decodeEntry decodes the LogEntry object at the start of data and returns
// the number of bytes it spans (what follows it is not looked at).
func decodeEntry(data []byte, raw *rawEntry) (int, error) {
	s := &scanner{b: data}
	if s.peek() != '{' {
		s.fail("entry is not an object")
		return 0, s.err
	}
	s.object(func(k []byte) {
		switch string(k) {
		case "insertId":
			raw.InsertID = s.str()
		case "timestamp":
			raw.Timestamp = s.str()
		case "resource":
			s.object(func(k []byte) {
				if string(k) != "labels" {
					s.skip()
					return
				}
				s.object(func(k []byte) {
					if string(k) == "email_id" {
						raw.EmailID = s.str()
					} else {
						s.skip()
					}
				})
			})
		case "protoPayload":
			raw.ProtoPayload = &rawAudit{}
			s.auditLog(raw.ProtoPayload)
		default:
			s.skip()
		}
	})
	if s.err != nil {
		return 0, s.err
	}
	return s.i, nil
}

func decodeAudit(data []byte, pp *rawAudit) error {
	s := &scanner{b: data}
	if s.peek() != '{' {
		s.fail("protoPayload is not an object")
		return s.err
	}
	s.auditLog(pp)
	return s.err
}

func (s *scanner) auditLog(pp *rawAudit) {
	s.object(func(k []byte) {
		switch string(k) {
		case "serviceName":
			pp.ServiceName = s.str()
		case "methodName":
			pp.MethodName = s.str()
		case "resourceName":
			pp.ResourceName = s.str()
		case "status":
			s.status(&pp.Status)
		case "authenticationInfo":
			s.authInfo(&pp.Auth)
		case "request":
			s.object(func(k []byte) {
				switch string(k) {
				case "name":
					pp.RequestName = s.str()
				case "delegates":
					pp.RequestDelegates = s.strings()
				default:
					s.skip()
				}
			})
		case "metadata":
			pp.Metadata = &rawMetadata{}
			s.metadata(pp.Metadata)
		case "serviceData":
			pp.ServiceData = &rawServiceData{}
			s.serviceData(pp.ServiceData)
		default:
			s.skip()
		}
	})
}

func (s *scanner) status(st *rawStatus) {
	s.object(func(k []byte) {
		switch string(k) {
		case "code":
			st.Code = s.int()
		case "message":
			st.Message = s.str()
		default:
			s.skip()
		}
	})
}

func (s *scanner) authInfo(a *rawAuth) {
	s.object(func(k []byte) {
		switch string(k) {
		case "principalEmail":
			a.PrincipalEmail = s.str()
		case "principalSubject":
			a.PrincipalSubject = s.str()
		case "serviceAccountKeyName":
			a.ServiceAccountKeyName = s.str()
		case "serviceAccountDelegationInfo":
			s.array(func() {
				var email, subject string
				s.object(func(k []byte) {
					switch string(k) {
					case "firstPartyPrincipal":
						s.object(func(k []byte) {
							if string(k) == "principalEmail" {
								email = s.str()
							} else {
								s.skip()
							}
						})
					case "principalSubject":
						subject = s.str()
					default:
						s.skip()
					}
				})
				switch {
				case email != "":
					a.Delegation = append(a.Delegation, email)
				case subject != "":
					a.Delegation = append(a.Delegation, subject)
				}
			})
		default:
			s.skip()
		}
	})
}

func (s *scanner) metadata(md *rawMetadata) {
	s.object(func(k []byte) {
		switch string(k) {
		case "identityDelegationChain":
			md.IdentityDelegationChain = s.strings()
		case "jobInsertion":
			md.JobInsertion = &rawJob{}
			s.object(func(k []byte) {
				if string(k) == "job" {
					s.job(md.JobInsertion)
				} else {
					s.skip()
				}
			})
		case "jobChange":
			md.JobChange = &rawJob{}
			s.object(func(k []byte) {
				switch string(k) {
				case "job":
					s.job(md.JobChange)
				case "after":
					md.JobChangeAfter = s.str()
				default:
					s.skip()
				}
			})
		default:
			s.skip()
		}
	})
}

// job decodes BigQueryAuditMetadata.Job.
func (s *scanner) job(j *rawJob) {
	s.object(func(k []byte) {
		switch string(k) {
		case "jobName":
			j.JobName = s.str()
		case "jobConfig":
			s.object(func(k []byte) {
				switch string(k) {
				case "type":
					j.Type = s.str()
				case "queryConfig":
					s.object(func(k []byte) {
						if string(k) == "query" {
							j.Query = s.str()
						} else {
							s.skip()
						}
					})
				default:
					s.skip()
				}
			})
		case "jobStatus":
			s.object(func(k []byte) {
				switch string(k) {
				case "jobState":
					j.JobState = s.str()
				case "errorResult":
					s.status(&j.ErrorResult)
				default:
					s.skip()
				}
			})
		default:
			s.skip()
		}
	})
}

func (s *scanner) serviceData(sd *rawServiceData) {
	// member decodes {"<inner>": Job} into a new legacy job.
	member := func(inner string) *rawLegacyJob {
		j := &rawLegacyJob{}
		s.object(func(k []byte) {
			if string(k) == inner {
				s.legacyJob(j)
			} else {
				s.skip()
			}
		})
		return j
	}
	s.object(func(k []byte) {
		switch string(k) {
		case "jobInsertRequest":
			sd.JobInsertRequest = member("resource")
		case "jobInsertResponse":
			sd.JobInsertResponse = member("resource")
		case "jobQueryResponse":
			sd.JobQueryResponse = member("job")
		case "jobCompletedEvent":
			sd.JobCompletedEvent = member("job")
		case "jobQueryRequest":
			q := ""
			s.object(func(k []byte) {
				if string(k) == "query" {
					q = s.str()
				} else {
					s.skip()
				}
			})
			sd.JobQueryRequest = &q
		default:
			s.skip()
		}
	})
}

// legacyJob decodes AuditData's Job.
func (s *scanner) legacyJob(j *rawLegacyJob) {
	s.object(func(k []byte) {
		switch string(k) {
		case "jobName":
			s.object(func(k []byte) {
				if string(k) == "jobId" {
					j.JobID = s.str()
				} else {
					s.skip()
				}
			})
		case "jobConfiguration":
			s.object(func(k []byte) {
				switch string(k) {
				case "query":
					j.JobType = "QUERY"
					s.object(func(k []byte) {
						if string(k) == "query" {
							j.Query = s.str()
						} else {
							s.skip()
						}
					})
				case "load":
					j.JobType = "IMPORT"
					s.skip()
				case "extract":
					j.JobType = "EXPORT"
					s.skip()
				case "tableCopy":
					j.JobType = "COPY"
					s.skip()
				default:
					s.skip()
				}
			})
		case "jobStatus":
			s.object(func(k []byte) {
				switch string(k) {
				case "state":
					j.State = s.str()
				case "error":
					s.status(&j.Error)
				default:
					s.skip()
				}
			})
		default:
			s.skip()
		}
	})
}
