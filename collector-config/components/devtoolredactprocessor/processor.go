package devtoolredactprocessor

import (
	"context"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Every string field of every signal is scanned, not only attributes: a sender chooses what it puts in
// scope names, trace states, metric descriptions or severity texts, and each reached a backend once.

// str masks one string field in place (through its getter and setter).
func (r *redactor) str(get func() string, set func(string), mode scanMode) {
	if s, changed := r.maskStringMode(get(), mode); changed {
		set(s)
	}
}

func (r *redactor) scope(sc pcommon.InstrumentationScope) {
	r.str(sc.Name, sc.SetName, modeIdent)
	r.str(sc.Version, sc.SetVersion, modeIdent)
	r.attrs(sc.Attributes())
}

func (r *redactor) traceState(ts pcommon.TraceState) {
	r.str(ts.AsRaw, ts.FromRaw, modeTraceState)
}

func (r *redactor) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		r.attrs(rs.Resource().Attributes())
		r.str(rs.SchemaUrl, rs.SetSchemaUrl, modeIdent)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			r.scope(ss.Scope())
			r.str(ss.SchemaUrl, ss.SetSchemaUrl, modeIdent)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				r.attrs(span.Attributes())
				if r.spanNames {
					r.str(span.Name, span.SetName, modeText)
				}
				r.str(span.Status().Message, span.Status().SetMessage, modeText)
				r.traceState(span.TraceState())
				events := span.Events()
				for e := 0; e < events.Len(); e++ {
					ev := events.At(e)
					r.attrs(ev.Attributes())
					if r.spanNames {
						r.str(ev.Name, ev.SetName, modeText)
					}
				}
				links := span.Links()
				for l := 0; l < links.Len(); l++ {
					r.attrs(links.At(l).Attributes())
					r.traceState(links.At(l).TraceState())
				}
			}
		}
	}
	return td, nil
}

func (r *redactor) processLogs(_ context.Context, ld plog.Logs) (plog.Logs, error) {
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		r.attrs(rl.Resource().Attributes())
		r.str(rl.SchemaUrl, rl.SetSchemaUrl, modeIdent)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			r.scope(sl.Scope())
			r.str(sl.SchemaUrl, sl.SetSchemaUrl, modeIdent)
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				r.attrs(lr.Attributes())
				r.str(lr.EventName, lr.SetEventName, modeIdent)
				r.str(lr.SeverityText, lr.SetSeverityText, modeIdent)
				if r.logBodies {
					r.body(lr.Body())
				}
			}
		}
	}
	return ld, nil
}

func (r *redactor) exemplars(ex pmetric.ExemplarSlice) {
	for i := 0; i < ex.Len(); i++ {
		r.attrs(ex.At(i).FilteredAttributes())
	}
}

func (r *redactor) processMetrics(_ context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		r.attrs(rm.Resource().Attributes())
		r.str(rm.SchemaUrl, rm.SetSchemaUrl, modeIdent)
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			r.scope(sm.Scope())
			r.str(sm.SchemaUrl, sm.SetSchemaUrl, modeIdent)
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				r.str(m.Name, m.SetName, modeIdent)
				r.str(m.Description, m.SetDescription, modeText)
				r.str(m.Unit, m.SetUnit, modeIdent)
				r.attrs(m.Metadata())
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					dps := m.Gauge().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						r.attrs(dps.At(d).Attributes())
						r.exemplars(dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeSum:
					dps := m.Sum().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						r.attrs(dps.At(d).Attributes())
						r.exemplars(dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						r.attrs(dps.At(d).Attributes())
						r.exemplars(dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeExponentialHistogram:
					dps := m.ExponentialHistogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						r.attrs(dps.At(d).Attributes())
						r.exemplars(dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeSummary:
					dps := m.Summary().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						r.attrs(dps.At(d).Attributes())
					}
				}
			}
		}
	}
	return md, nil
}
