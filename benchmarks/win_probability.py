"""Per-deal win probability on the Maven CRM data, on a time split, next to the stages' static
probabilities.

    python benchmarks/win_probability.py [--data ../shared/data/maven-crm]
        [--cutoffs 2017-04-01,2017-07-01,2017-10-01] [--database-url URL]

Loads the data set into a fresh SQLite file in a temporary directory (or the database of
--database-url, which must be empty and migrated... it is migrated here). Then, for each
cutoff T:

- fits the scoring core on what was known at T only: deals closed before T, seen while they
  were open, features computed from history before T (owner rates from closings before T);
- evaluates on every deal open at T that closed later, with its features at T and its
  outcome as the model is trained on it: won by the end of the fiscal quarter of the close
  date it carried at T (1), else 0 (lost, or won after slipping out of that quarter);
- beside it, the stage's configured probability at T ("static stage"), and the training win
  rate given to every deal ("base rate").

Prints ROC AUC, PR AUC, Brier and ECE (10 bins) per cutoff and pooled over cutoffs, the
chosen model and calibration, and fit times (the fit at T; and the production fit on all
history with the re-scoring of every open deal, as `opportune score fit` does it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RAW_HISTORY = """
SELECT changed_at, stage_id, amount, close_date FROM opportunities_opportunityhistory
WHERE opportunity_id = %s ORDER BY changed_at, id
"""
RAW_COUNTS = """
SELECT COUNT(*), SUM(CASE WHEN is_won THEN 1 ELSE 0 END) FROM opportunities_opportunity
WHERE is_closed AND deleted_at IS NULL
  AND owner_id = (SELECT owner_id FROM opportunities_opportunity WHERE id = %s)
"""
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "maven-crm"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cutoffs", default="2017-04-01,2017-07-01,2017-10-01")
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ["OPPORTUNE_DATA_DIR"] = tempfile.mkdtemp(prefix="opportune-winprob-")
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("OPPORTUNE_SECRET_KEY", "benchmark")
    os.environ["DJANGO_SETTINGS_MODULE"] = "opportune.settings"
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from opportune.forecasting.maven import load_maven
    from opportune.opportunities.models import Opportunity
    from opportune.scoring import core
    from opportune.scoring.features import FEATURES, values_at
    from opportune.scoring.metrics import evaluate
    from opportune.scoring.opportunity import (
        closing,
        fit_opportunities,
        load_world,
        score_open,
        training_rows,
        won_in_period,
    )

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    summary = load_maven(args.data)
    print(
        f"Loaded Maven: {summary.opportunities} deals, {summary.history_rows} history rows "
        f"in {time.perf_counter() - started:.1f} s; data as of {summary.as_of}"
    )
    world = load_world()
    end = timezone.make_aware(dt.datetime.combine(summary.as_of, dt.time(23, 59)))

    def line(name: str, m: dict[str, float | None]) -> str:
        def f(key: str) -> str:
            value = m[key]
            return "   n/a" if value is None else f"{value:6.3f}"

        return (
            f"  {name:<14} ROC AUC {f('roc_auc')}  PR AUC {f('pr_auc')}  "
            f"Brier {f('brier')}  ECE {f('ece')}"
        )

    pooled: dict[str, list[np.ndarray]] = {"y": [], "model": [], "static": [], "base": []}
    for text in args.cutoffs.split(","):
        cutoff = timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(text), dt.time()))
        rows, labels, known = training_rows(world, cutoff)
        began = time.perf_counter()
        scorer = core.fit(FEATURES, rows, labels, known)
        seconds = time.perf_counter() - began
        test_rows, y, static = [], [], []
        for deal in world.deals.values():
            values = values_at(deal, cutoff, world.book, world.stage_probability)
            if values is None or deal.rows_until(cutoff)[-1].stage_id in world.closed_stages:
                continue
            outcome = closing(deal, world, end + dt.timedelta(days=1))
            if outcome is None:
                continue  # still open at the end of the data: no label
            test_rows.append(values)
            y.append(int(won_in_period(deal, cutoff, *outcome)))
            static.append(world.stage_probability[deal.rows_until(cutoff)[-1].stage_id] / 100)
        y_arr = np.array(y)
        p_model = scorer.predict(test_rows)
        distinct = len(np.unique(np.round(p_model, 6)))
        p_static = np.array(static, dtype=float)
        p_base = np.full(len(y), float(np.mean(labels)))
        print(
            f"\nCutoff {text}: trained on {len(rows)} rows ({sum(labels)} won; "
            f"deals closed on {len(set(known))} distinct days) in {seconds:.1f} s; "
            f"model {scorer.card['model']}, calibration {scorer.card['calibration']}; "
            f"tested on {len(y)} deals open then "
            f"({int(y_arr.sum())} won later)"
        )
        print(line("opportune", evaluate(y_arr, p_model)) + f"  ({distinct} distinct values)")
        print(line("static stage", evaluate(y_arr, p_static)))
        print(line("base rate", evaluate(y_arr, p_base)))
        for key, values in (
            ("y", y_arr),
            ("model", p_model),
            ("static", p_static),
            ("base", p_base),
        ):
            pooled[key].append(values)
    y_all = np.concatenate(pooled["y"])
    print(f"\nPooled over the cutoffs ({len(y_all)} deal-cutoffs, {int(y_all.sum())} won):")
    print(line("opportune", evaluate(y_all, np.concatenate(pooled["model"]))))
    print(line("static stage", evaluate(y_all, np.concatenate(pooled["static"]))))
    print(line("base rate", evaluate(y_all, np.concatenate(pooled["base"]))))

    began = time.perf_counter()
    fitted = fit_opportunities(end)
    print(
        f"\nProduction fit on all history ({fitted.rows} rows) and re-score of the open deals: "
        f"{time.perf_counter() - began:.1f} s (fit alone {fitted.fit_seconds:.1f} s); "
        f"model {fitted.card['model']}, calibration {fitted.card['calibration']}"
    )
    open_ids = list(
        Opportunity.objects.filter(is_closed=False).order_by("pk").values_list("pk", flat=True)[:50]
    )
    one, raw = [], []
    for pk in open_ids:
        began = time.perf_counter()
        score_open(end, ids=[pk])
        one.append(time.perf_counter() - began)
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(RAW_HISTORY, [pk])
            cursor.fetchall()
            cursor.execute(RAW_COUNTS, [pk])
            cursor.fetchall()
        raw.append(time.perf_counter() - began)
    ms, raw_ms = statistics.median(one) * 1000, statistics.median(raw) * 1000
    print(
        f"Re-scoring one deal (as on a write), median of {len(one)}: {ms:.1f} ms, against "
        f"{raw_ms:.1f} ms for the raw SQL reading its history and its owner's counts "
        f"(ratio {ms / raw_ms:.1f})"
    )
    top = ", ".join(f"{i['feature']} {i['importance']:.2f}" for i in fitted.card["importances"][:5])
    print(f"Importances (mean |log-odds contribution|): {top}")


if __name__ == "__main__":
    main()
