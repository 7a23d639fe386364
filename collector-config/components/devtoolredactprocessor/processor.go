package devtoolredactprocessor

import (
	"context"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func (r *redactor) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		r.attrs(rs.Resource().Attributes())
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			r.attrs(ss.Scope().Attributes())
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				r.attrs(span.Attributes())
				if r.spanNames {
					if s, changed := r.maskString(span.Name()); changed {
						span.SetName(s)
					}
				}
				if msg := span.Status().Message(); msg != "" {
					if s, changed := r.maskString(msg); changed {
						span.Status().SetMessage(s)
					}
				}
				events := span.Events()
				for e := 0; e < events.Len(); e++ {
					ev := events.At(e)
					r.attrs(ev.Attributes())
					if r.spanNames {
						if s, changed := r.maskString(ev.Name()); changed {
							ev.SetName(s)
						}
					}
				}
				links := span.Links()
				for l := 0; l < links.Len(); l++ {
					r.attrs(links.At(l).Attributes())
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
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			r.attrs(sl.Scope().Attributes())
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				r.attrs(lr.Attributes())
				if r.logBodies {
					r.value(lr.Body())
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
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			r.attrs(sm.Scope().Attributes())
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
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
