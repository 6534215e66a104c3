"""The backdated demo history verifies like service-written history and feeds the figures; the
planted surge and cluster are found."""

from __future__ import annotations

import datetime as dt

from cases.enums import State
from cases.models import Case
from cases.selectors import verify_chain
from insight import demo_history
from insight.enums import HotspotKind
from insight.hotspots import hotspots_detect
from sla.models import Timer
from web.figures import metrics

NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def test_history_is_finished_cases_whose_audit_chains_verify(users):
    n = demo_history.create_history(now=NOW, per_month=12)
    assert n > 100
    cases = Case.objects.filter(registered_at__lt=NOW - demo_history.HISTORY_ENDS)
    assert cases.count() == n
    assert set(cases.values_list("state", flat=True)) <= {State.CLOSED, State.REJECTED}
    assert cases.filter(registered_at__lt=NOW - dt.timedelta(days=360)).exists()
    for case in cases.order_by("?")[:25]:
        ok, _bad, why = verify_chain(case.pk)
        assert ok, why
    assert Timer.objects.filter(case__in=cases, stage="reply").count() == cases.exclude(assigned_at=None).count()
    assert demo_history.history_exists(NOW)


def test_history_months_have_figures(users):
    demo_history.create_history(now=NOW, per_month=12)
    snapshot = metrics.month_snapshot(dt.date(2026, 6, 1), now=NOW)
    assert snapshot.total.registered > 0
    assert snapshot.total.rated > 0 and snapshot.total.closed > 0
    assert 0 < snapshot.total.satisfaction_rate <= 1


def test_planted_surge_and_cluster_are_detected(users):
    demo_history.create_history(now=NOW, per_month=12)
    demo_history.plant_hotspots(now=NOW, agent=users["agent"])
    new, _ = hotspots_detect(now=NOW)
    kinds = {(h.kind, h.category.code if h.category_id else None) for h in new}
    assert (HotspotKind.SURGE, "ENV-NOISE") in kinds
    cluster = next(h for h in new if h.kind == HotspotKind.CLUSTER and h.category.code == "CITY-WATER")
    assert cluster.count == 5
    assert set(cluster.cases.values_list("state", flat=True)) == {State.REGISTERED}
