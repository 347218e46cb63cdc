"""Ground truth and realism: defaults, outcomes, false records, corrections, ties, sybils."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score


@pytest.fixture(scope="module")
def sql(medium):
    """Run SQL over the medium dataset (views: events, truth, outcomes, false_events)."""
    con = duckdb.connect()
    root = medium.root
    con.execute(f"create view events as select * from read_parquet('{root}/events/*/*.parquet')")
    for name in ("truth", "outcomes", "false_events"):
        con.execute(f"create view {name} as select * from read_parquet('{root}/{name}.parquet')")
    con.execute(
        "create view true_events as select * from events e where supersedes is null "
        "and not exists (select 1 from false_events f "
        "where f.source = e.source and f.event_id = e.event_id)"
    )

    def run(query: str) -> list[tuple[Any, ...]]:
        return con.sql(query).fetchall()

    yield run
    con.close()


def test_bad_rate_is_in_a_sane_range(medium, sql):
    assert 0.06 <= medium.summary.bad_rate <= 0.16
    ((rate,),) = sql(
        "select avg(bad) from outcomes join truth using (subject) "
        "where window_complete and not defaulted_before and not is_sybil"
    )
    assert 0.02 <= rate <= 0.12


def test_latent_creditworthiness_predicts_bad(sql):
    rows = sql(
        "select bad, creditworthiness from outcomes join truth using (subject) "
        "where not defaulted_before and not is_sybil"
    )
    bad, z = np.array(rows).T
    assert roc_auc_score(bad, -z) > 0.7


def test_defaults_in_events_match_the_truth(sql):
    in_events = dict(
        sql("select subject, min(date_trunc('month', occurred_at))::date from true_events "
            "where type = 'default' group by 1")
    )  # fmt: skip
    in_truth = dict(
        sql("select subject, first_default_month from truth where first_default_month is not null")
    )
    assert in_truth
    assert in_events == in_truth


def test_every_default_follows_rising_days_past_due(sql):
    paths = sql(
        "select d.days_past_due, list(r.days_past_due order by r.occurred_at) "
        "from true_events d join true_events r on r.source = d.source "
        "and r.account_ref = d.account_ref and r.type = 'repayment' "
        "and r.due_date = d.occurred_at::date - d.days_past_due::int "
        "where d.type = 'default' group by d.event_id, d.days_past_due"
    )
    assert len(paths) == sql("select count(*) from true_events where type = 'default'")[0][0]
    for final, ramp in paths:
        assert final >= 90
        assert ramp == sorted(ramp)
        assert len(set(ramp)) == len(ramp) == 3
        assert ramp[-1] >= 60


def test_outcome_flags_follow_the_first_default(sql):
    wrong = sql(
        "select count(*) from outcomes o join truth t using (subject) where "
        "o.defaulted_before != coalesce(t.first_default_month <= o.month_end, false) "
        "or o.bad != coalesce(t.first_default_month > o.month_end "
        "and t.first_default_month <= o.month_end + interval 12 month, false)::int"
    )
    assert wrong == [(0,)]
    assert sql("select bool_or(window_complete), bool_and(window_complete) from outcomes") == [
        (True, False)
    ]


def test_false_events_are_listed_quickloan_records(sql):
    assert sql("select distinct source from false_events") == [("quickloan",)]
    missing = sql("select count(*) from false_events f anti join events e using (source, event_id)")
    assert missing == [(0,)]
    ((share,),) = sql(
        "select (select count(*) from false_events) / count(*) from events "
        "where source = 'quickloan' and supersedes is null"
    )
    assert 0.1 < share < 0.2


def test_corrections_supersede_earlier_events_of_the_same_source(sql):
    rows = sql(
        "select c.type = o.type and c.subject = o.subject and c.occurred_at > o.occurred_at "
        "from events c join events o on o.source = c.source and o.event_id = c.supersedes"
    )
    corrections = sql("select count(*) from events where supersedes is not null")[0][0]
    total = sql("select count(*) from events")[0][0]
    assert len(rows) == corrections > 0
    assert all(ok for (ok,) in rows)
    assert 0.0005 < corrections / total < 0.005


def test_sybil_rings_tie_to_each_other_and_to_a_few_real_people(sql):
    (sybils,) = sql("select count(*) from truth where is_sybil")[0]
    assert sybils >= 10
    per_sybil = sql(
        "select e.subject, count(*) filter (c.is_sybil and c.sybil_ring = s.sybil_ring), "
        "count(*) filter (not c.is_sybil), bool_or(e.verified) "
        "from events e join truth s on s.subject = e.subject "
        "join truth c on c.subject = e.counterpart "
        "where e.type = 'tie' and e.action = 'add' and s.is_sybil group by 1"
    )
    assert len(per_sybil) == sybils
    assert all(in_ring >= 5 and not verified for _, in_ring, _, verified in per_sybil)
    assert 0 < sum(real for _, _, real, _ in per_sybil) < sybils * 4


def test_ties_are_homophilous_capped_and_partly_reciprocal(sql):
    rows = sql(
        "select s.creditworthiness, avg(c.creditworthiness), count(*) "
        "from events e join truth s on s.subject = e.subject "
        "join truth c on c.subject = e.counterpart "
        "where e.type = 'tie' and e.action = 'add' and not s.is_sybil and not c.is_sybil group by 1"
    )
    own, friends, degree = np.array(rows).T
    assert np.corrcoef(own, friends)[0, 1] > 0.3
    assert degree.max() <= 50
    ((pairs, mutual),) = sql(
        "select count(*), count(*) filter (exists (select 1 from events b where b.type = 'tie' "
        "and b.subject = a.counterpart and b.counterpart = a.subject)) "
        "from events a where a.type = 'tie' and a.action = 'add'"
    )
    assert 0.2 * pairs < mutual < 0.8 * pairs
    assert sql("select count(*) > 0 from events where type = 'tie' and action = 'remove'") == [
        (True,)
    ]


def test_thin_files_are_short_and_hold_no_credit(sql):
    ((share,),) = sql("select avg(thin_file::int) from truth where not is_sybil")
    assert 0.05 < share < 0.15
    credit = sql(
        "select count(*) from true_events e join truth t using (subject) where t.thin_file "
        "and e.type in ('loan_opened', 'credit_line', 'bill', 'repayment', 'default')"
    )
    assert credit == [(0,)]


def test_some_sources_disagree_on_profiles(sql):
    ((people, names, addresses),) = sql(
        "select count(distinct subject), count(distinct subject) filter (n > 1), "
        "count(distinct subject) filter (a > 1) from (select subject, "
        "count(distinct name) n, count(distinct address) a from events "
        "where type = 'profile_update' group by 1)"
    )
    assert 0 < names < 0.1 * people
    assert 0 < addresses < 0.3 * people


def test_income_is_plausible_and_follows_creditworthiness(sql):
    income, z = np.array(
        sql("select income_minor / 100, creditworthiness from truth where not is_sybil")
    ).T
    assert income.min() >= 3_000
    assert income.max() <= 50_000
    assert 6_000 < np.median(income) < 12_000
    assert np.corrcoef(np.log(income), z)[0, 1] > 0.3


def test_people_join_over_time(sql):
    ((first, later),) = sql(
        "select count(*) filter (joined_month = (select min(joined_month) from truth)), "
        "count(*) filter (joined_month > (select min(joined_month) from truth)) from truth"
    )
    assert first > later > 0.2 * first
