"""Characteristics throughput: the ibis pipeline on DuckDB and Spark against hand-written SQL.

    python bench/features.py [--subjects 200000] [--months 8] [--no-spark] [--keep DIR]

Builds a synthetic lake (200,000 people over 8 months is about 10M events), then computes all
characteristics as of the last month end three ways, in one run: one hand-written DuckDB SQL
query (the baseline), the ibis expressions on DuckDB, and the same expressions on Spark local.
Checks the hand-written result equals the ibis one, and prints wall time, events/s, the ratio
to the baseline and the peak RSS. Target (issue 3): DuckDB path within 1.5x of the hand-written
SQL and >= 1M events/s.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from credo.features.build import characteristics_expr
from credo.features.catalog import CATALOG
from credo.features.engines import DuckDBFeatureEngine, SparkFeatureEngine
from credo.home import Home, initialise
from credo.settings import DuckDBEngine, Settings, SparkEngine
from credo.synth import generate_population

KNOWN = datetime(2100, 1, 1, tzinfo=UTC)


def hand_written_sql(as_of: datetime, reliability: dict[str, float]) -> str:
    """All characteristics in one DuckDB query, written by hand (the baseline)."""
    weights = " ".join(f"WHEN '{name}' THEN {value!r}" for name, value in reliability.items())
    now = int(as_of.timestamp())
    cut = f"TIMESTAMPTZ '{as_of.isoformat()}'"
    known = f"TIMESTAMPTZ '{KNOWN.isoformat()}'"
    return f"""
WITH v0 AS (
  SELECT * FROM events WHERE occurred_at < {cut} AND ingested_at < {known}
), sup AS (
  SELECT DISTINCT source, supersedes AS event_id FROM v0 WHERE supersedes IS NOT NULL
), v AS (
  SELECT v0.*, CAST(CASE v0.source {weights} ELSE 0.0 END AS DOUBLE) AS w,
         CAST({now} - floor(epoch(v0.occurred_at)) AS DOUBLE) / 86400 AS age_days
  FROM v0 ANTI JOIN sup ON v0.source = sup.source AND v0.event_id = sup.event_id
), subjects AS (SELECT DISTINCT subject FROM v),
h AS (
  SELECT subject,
    max(days_past_due * w) FILTER (type IN ('repayment','default') AND age_days <= 365) AS d12,
    max(days_past_due * w) FILTER (type IN ('repayment','default') AND age_days <= 730) AS d24,
    min(age_days) FILTER ((type IN ('default','collection') AND w >= 0.5)
        OR (type = 'repayment' AND days_past_due * w >= 30)) / 30.4375 AS since_delinquency,
    sum(w * CAST(days_past_due = 0 AS DOUBLE)) FILTER (type = 'repayment' AND age_days <= 365)
        AS on_time,
    sum(w) FILTER (type = 'repayment' AND age_days <= 365) AS repaid,
    max(age_days) FILTER (type IN ('loan_opened','credit_line')) / 30.4375 AS oldest,
    coalesce(sum(w) FILTER (type IN ('default','collection') AND age_days <= 730), 0) AS defaults,
    coalesce(sum(w) FILTER (type = 'loan_opened' AND age_days <= 182), 0) AS new_loans
  FROM v WHERE category = 'history' GROUP BY subject
), snaps AS (
  SELECT subject, account_ref, occurred_at, CAST(amount_minor AS DOUBLE) * w AS value
  FROM v WHERE type = 'balance_snapshot' AND kind = 'credit'
), bal AS (
  SELECT subject, account_ref, max(value) AS value FROM snaps s
  WHERE occurred_at = (SELECT max(occurred_at) FROM snaps t
                       WHERE t.subject = s.subject AND t.account_ref = s.account_ref)
  GROUP BY subject, account_ref
), lines AS (
  SELECT subject, account_ref, occurred_at,
         CASE WHEN status = 'closed' THEN 0.0 ELSE CAST(amount_minor AS DOUBLE) END AS value
  FROM v WHERE type = 'credit_line'
), lim AS (
  SELECT subject, account_ref, max(value) AS value FROM lines s
  WHERE occurred_at = (SELECT max(occurred_at) FROM lines t
                       WHERE t.subject = s.subject AND t.account_ref = s.account_ref)
  GROUP BY subject, account_ref
), rev AS (
  SELECT coalesce(d.subject, l.subject) AS subject, d.debt, l.lim FROM
    (SELECT subject, sum(value) AS debt FROM bal GROUP BY subject) d
    FULL OUTER JOIN (SELECT subject, sum(value) AS lim FROM lim GROUP BY subject) l
    ON d.subject = l.subject
), inc AS (
  SELECT subject, max(CAST(amount_minor AS DOUBLE) * w) AS income FROM v s
  WHERE type = 'income_verified'
    AND w = (SELECT max(w) FROM v t WHERE t.type = 'income_verified' AND t.subject = s.subject)
    AND occurred_at = (
      SELECT max(occurred_at) FROM v t WHERE t.type = 'income_verified' AND t.subject = s.subject
        AND t.w = s.w)
  GROUP BY subject
), c AS (
  SELECT subject,
    sum(CAST(amount_minor AS DOUBLE) * w) FILTER (d6) AS wbal, count(*) FILTER (d6) AS wsum,
    stddev_samp(CAST(amount_minor AS DOUBLE)) FILTER (d6) AS sd,
    avg(CAST(amount_minor AS DOUBLE)) FILTER (d6) AS mean,
    coalesce(sum(w) FILTER (ended AND outcome = 'on_time'), 0) AS kept,
    coalesce(sum(w) FILTER (ended AND outcome = 'broken'), 0) AS broken,
    sum(w) FILTER (ended) AS ended_w, sum(w) FILTER (ended AND outcome <> 'on_time') AS late_w,
    coalesce(sum(w) FILTER (type = 'contract' AND kind = 'deposit_free_order'
                            AND age_days <= 730), 0) AS orders
  FROM (SELECT *, type = 'balance_snapshot' AND kind = 'deposit' AND age_days <= 182
                  AND w = max(w) FILTER (type = 'balance_snapshot' AND kind = 'deposit'
                                         AND age_days <= 182) OVER (PARTITION BY subject) AS d6,
               type = 'contract_fulfilled' AND age_days <= 730 AS ended
        FROM v WHERE category = 'capacity')
  GROUP BY subject
), i AS (
  SELECT subject,
    coalesce(max(w) FILTER (type = 'identity_verified'), 0) AS verified,
    coalesce(max(w) FILTER (type = 'identity_verified' AND method IN ('document','biometric')),
             0) AS document,
    max(age_days) FILTER (type = 'identity_verified') / 30.4375 AS since_verified,
    min(CAST({now} - epoch(CAST(address_since AS TIMESTAMP)) AS DOUBLE) / (30.4375 * 86400))
      FILTER (type = 'profile_update' AND age_days <= 730) AS address_tenure,
    min(CAST({now} - epoch(CAST(phone_since AS TIMESTAMP)) AS DOUBLE) / (30.4375 * 86400))
      FILTER (type = 'profile_update' AND age_days <= 730) AS phone_tenure,
    count(DISTINCT name_fp) AS n1, count(DISTINCT national_id_fp) AS n2,
    count(DISTINCT phone_fp) AS n3, count(DISTINCT address_fp) AS n4,
    count(DISTINCT email_fp) AS n5
  FROM v WHERE category = 'identity' GROUP BY subject
), srcs AS (SELECT subject, count(DISTINCT source) AS n FROM v GROUP BY subject),
b AS (
  SELECT subject, count(*) FILTER (category = 'behavior') AS n_b, max(age_days) AS tenure,
    count(DISTINCT month) FILTER (b12) AS months,
    sum(CAST(amount_minor AS DOUBLE) * w) FILTER (bought) AS spend,
    sum(CAST(amount_minor AS DOUBLE) * w) FILTER (bought AND merchant_category IN
        ('grocery','utilities','transport','health','education')) AS essential,
    sum(CAST(amount_minor AS DOUBLE) * w) FILTER (bought AND merchant_category = 'gambling')
        AS gambling,
    sum(CAST(amount_minor AS DOUBLE) * w) FILTER (b12m AND type = 'bill_payment') AS bills,
    sum(CAST(amount_minor AS DOUBLE) * w) FILTER (b12m AND type = 'bill_payment'
                                                  AND days_late = 0) AS bills_ok,
    sum(CAST(amount_minor AS DOUBLE) * w) FILTER (b12m AND type = 'refund') AS refunded,
    sum(w) FILTER (b12m AND type = 'refund' AND kind = 'chargeback') AS chargebacks
  FROM (SELECT *, category = 'behavior' AND age_days <= 365 AS b12,
               category = 'behavior' AND age_days <= 365 AND amount_minor >= 1000 AS b12m,
               category = 'behavior' AND age_days <= 365 AND type = 'purchase'
                 AND amount_minor >= 1000 AS bought FROM v)
  GROUP BY subject
), ties AS (
  SELECT subject, counterpart, occurred_at, action, verified, w, relation, age_days
  FROM v WHERE type = 'tie' AND counterpart IS NOT NULL
), pair AS (
  SELECT subject, counterpart, max(occurred_at) AS last_at,
         max(age_days) FILTER (action = 'add') AS first_days
  FROM ties GROUP BY subject, counterpart
), state AS (
  SELECT t.subject, t.counterpart, min(CAST(t.action = 'add' AS BIGINT)) AS live,
    max(CAST(t.verified AS BIGINT)) AS verified, max(t.w) AS w,
    max(CAST(t.relation = 'family' AS BIGINT)) AS family, max(p.first_days) AS first_days
  FROM ties t JOIN pair p ON t.subject = p.subject AND t.counterpart = p.counterpart
                         AND t.occurred_at = p.last_at
  GROUP BY t.subject, t.counterpart
), live AS (SELECT * FROM state WHERE live = 1),
bad AS (
  SELECT DISTINCT subject FROM v
  WHERE type IN ('default','collection') AND age_days <= 730 AND w >= 0.5
), tw AS (
  SELECT l.subject, l.first_days, CAST(l.verified AS DOUBLE) AS verified,
    CAST(m.subject IS NOT NULL AS DOUBLE) AS mutual, CAST(l.family AS DOUBLE) AS family,
    CAST(bad.subject IS NOT NULL AS DOUBLE) AS in_default,
    l.w * CASE WHEN l.verified = 1 THEN 1.0 ELSE 0.3 END
        * CASE WHEN m.subject IS NOT NULL THEN 1.0 ELSE 0.5 END
        * CASE WHEN l.first_days < 90 THEN 0.5 ELSE 1.0 END AS tw
  FROM live l
  LEFT JOIN live m ON m.subject = l.counterpart AND m.counterpart = l.subject
  LEFT JOIN bad ON bad.subject = l.counterpart
), n AS (
  SELECT subject, sum(tw) AS total, sum(tw * verified) AS ver, sum(tw * mutual) AS mut,
    sum(tw * family) AS fam, sum(tw * in_default) AS dflt,
    sum(tw) FILTER (first_days < 90) AS new, sum(tw * first_days) AS age
  FROM tw GROUP BY subject
)
SELECT s.subject,
  h.d12 AS hist_worst_dpd_12m, h.d24 AS hist_worst_dpd_24m,
  h.since_delinquency AS hist_months_since_delinquency,
  CASE WHEN h.repaid > 0 THEN h.on_time / h.repaid END AS hist_on_time_share_12m,
  CASE WHEN h.subject IS NOT NULL AND rev.lim > 0 THEN coalesce(rev.debt, 0) / rev.lim END
    AS hist_utilisation,
  CASE WHEN h.subject IS NOT NULL THEN rev.debt END AS hist_total_debt_minor,
  h.oldest AS hist_age_oldest_credit_months, h.defaults AS hist_defaults_24m,
  h.new_loans AS hist_new_loans_6m,
  CASE WHEN c.wsum > 0 THEN c.wbal / c.wsum END AS cap_avg_deposit_balance_6m,
  c.sd / (abs(c.mean) + 100.0) AS cap_balance_volatility_6m,
  CASE WHEN c.subject IS NOT NULL THEN inc.income END AS cap_income_monthly,
  c.kept AS cap_contracts_fulfilled_24m, c.broken AS cap_contracts_broken_24m,
  CASE WHEN c.ended_w > 0 THEN coalesce(c.late_w, 0) / c.ended_w END
    AS cap_late_or_broken_share_24m,
  c.orders AS cap_deposit_free_orders_24m,
  i.verified AS id_verified, i.document AS id_document_verified,
  i.since_verified AS id_months_since_verified, i.address_tenure AS id_address_tenure_months,
  i.phone_tenure AS id_phone_tenure_months,
  CAST((i.n1 > 0)::INT + (i.n2 > 0)::INT + (i.n3 > 0)::INT + (i.n4 > 0)::INT
       + (i.n5 > 0)::INT AS DOUBLE) / 5 AS id_profile_completeness,
  CASE WHEN (i.n1 > 0)::INT + (i.n2 > 0)::INT + (i.n3 > 0)::INT + (i.n4 > 0)::INT
            + (i.n5 > 0)::INT > 0
       THEN CAST((i.n1 = 1)::INT + (i.n2 = 1)::INT + (i.n3 = 1)::INT + (i.n4 = 1)::INT
                 + (i.n5 = 1)::INT AS DOUBLE)
            / ((i.n1 > 0)::INT + (i.n2 > 0)::INT + (i.n3 > 0)::INT + (i.n4 > 0)::INT
               + (i.n5 > 0)::INT) END AS id_profile_agreement,
  CASE WHEN i.subject IS NOT NULL THEN CAST(srcs.n AS DOUBLE) END AS id_sources,
  b.tenure / 30.4375 AS beh_tenure_months,
  CASE WHEN b.n_b > 0 THEN CAST(b.months AS DOUBLE) / 12 END AS beh_active_months_share_12m,
  CASE WHEN b.spend > 0 THEN coalesce(b.essential, 0) / b.spend END AS beh_essential_share_12m,
  CASE WHEN b.spend > 0 THEN coalesce(b.gambling, 0) / b.spend END AS beh_gambling_share_12m,
  CASE WHEN b.bills > 0 THEN coalesce(b.bills_ok, 0) / b.bills END AS beh_bill_on_time_share_12m,
  CASE WHEN b.spend > 0 THEN coalesce(b.refunded, 0) / b.spend END AS beh_refund_share_12m,
  CASE WHEN b.n_b > 0 THEN coalesce(b.chargebacks, 0) END AS beh_chargebacks_12m,
  CASE WHEN b.n_b > 0 THEN coalesce(b.spend, 0) END AS beh_spend_12m,
  CASE WHEN n.total IS NOT NULL THEN least(n.total, 30.0) END AS net_ties,
  CASE WHEN n.total > 0 THEN coalesce(n.ver, 0) / n.total END AS net_verified_share,
  CASE WHEN n.total > 0 THEN coalesce(n.mut, 0) / n.total END AS net_mutual_share,
  CASE WHEN n.fam IS NOT NULL THEN least(n.fam, 10.0) END AS net_family_ties,
  CASE WHEN n.total > 0 THEN coalesce(n.dflt, 0) / n.total END AS net_ties_in_default_share,
  CASE WHEN n.total > 0 THEN coalesce(n.new, 0) / n.total END AS net_new_ties_share,
  CASE WHEN n.total > 0 THEN coalesce(n.age, 0) / n.total END / 30.4375 AS net_tie_age_months,
  CAST(NULL AS DOUBLE) AS net_ties_mean_score
FROM subjects s
LEFT JOIN h USING (subject) LEFT JOIN rev USING (subject) LEFT JOIN c USING (subject)
LEFT JOIN inc USING (subject) LEFT JOIN i USING (subject) LEFT JOIN srcs USING (subject)
LEFT JOIN b USING (subject) LEFT JOIN n USING (subject)
ORDER BY s.subject
"""


def make_lake(root: Path, subjects: int, months: int) -> Home:
    print(f"building a synthetic lake: {subjects:,} people x {months} months in {root}")
    started = time.perf_counter()
    generate_population(root / "data", subjects=subjects, months=months, seed=3)
    settings = Settings(home=root / "home")
    initialise(settings, dev_key=True)
    home = Home(settings)
    from credo.events.dataset import read_manifest

    manifest = read_manifest(root / "data")
    for spec in manifest.sources:
        home.sources.add(spec.name, spec.categories, reliability=spec.reliability)
    assert manifest.consents is not None
    home.consents.import_file(root / "data" / manifest.consents)
    ingestor = home.ingestor()
    for spec in manifest.sources:
        paths = [str(p) for p in manifest.event_paths(spec.name)]
        if paths:
            ingestor.ingest(paths, source=spec.name)
    print(f"  lake ready in {time.perf_counter() - started:.0f} s")
    return home


def same(left: pa.Table, right: pa.Table) -> int:
    """Number of differing values (floats compared to 1e-9)."""
    differ = 0
    for name in left.column_names:
        for x, y in zip(left.column(name).to_pylist(), right.column(name).to_pylist(), strict=True):
            if x is None or y is None or isinstance(x, str):
                differ += x != y
            else:
                differ += not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=8)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--keep", type=Path, help="reuse or keep the lake in this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="credo-bench-features-"))
    try:
        home = Home(Settings(home=root / "home"))
        if not (root / "home" / "credo.db").exists():
            home = make_lake(root, args.subjects, args.months)
        events = home.lake.summary().events
        reliability = {s.name: s.reliability for s in home.sources.all()}
        as_of = datetime(2026, 11, 1, tzinfo=UTC)
        print(f"{events:,} events; characteristics as of {as_of.date()}")

        con = duckdb.connect()
        con.register("events", home.lake.dataset())
        started = time.perf_counter()
        baseline = con.execute(hand_written_sql(as_of, reliability)).to_arrow_table()
        base_s = time.perf_counter() - started

        duck = DuckDBFeatureEngine(DuckDBEngine())
        started = time.perf_counter()
        expr = characteristics_expr(
            duck.events(home.lake), as_of, reliability=reliability, known_at=KNOWN
        )
        ours = duck.execute(expr)
        duck_s = time.perf_counter() - started
        duck.close()
        names = ["subject", *[c.name for c in CATALOG]]
        differences = same(baseline.select(names), ours.select(names))

        rows = [("hand-written SQL (DuckDB)", base_s), ("credo ibis on DuckDB", duck_s)]
        if not args.no_spark:
            os.environ.setdefault("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            spark = SparkFeatureEngine(SparkEngine(master="local[2]"))
            started = time.perf_counter()
            spark.execute(
                characteristics_expr(
                    spark.events(home.lake), as_of, reliability=reliability, known_at=KNOWN
                )
            )
            rows.append(("credo ibis on Spark local[2]", time.perf_counter() - started))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\n{'pipeline':<32}{'seconds':>10}{'events/s':>14}{'x hand SQL':>12}")
        for label, seconds in rows:
            print(f"{label:<32}{seconds:>10.2f}{events / seconds:>14,.0f}{seconds / base_s:>12.2f}")
        print(
            f"\n{ours.num_rows:,} people x {len(CATALOG)} characteristics; values differing "
            f"between hand-written SQL and ibis: {differences}"
        )
        print(
            f"targets: ibis/DuckDB <= 1.5x hand SQL -> "
            f"{'met' if duck_s / base_s <= 1.5 else 'NOT met'}; >= 1M events/s -> "
            f"{'met' if events / duck_s >= 1_000_000 else 'NOT met'}"
        )
        print(f"peak RSS of this process: {peak:,.0f} MB (Spark runs in its own JVM)")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
