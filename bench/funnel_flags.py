"""How often do the funnel flags cry wolf, and do they still find real differences?

    .venv/bin/python bench/funnel_flags.py --patients 5000 --seed 1   # generate_population
    .venv/bin/python bench/funnel_flags.py --demo                      # demo_setup's patients

Loads the population into a scratch SQLite database (``--database``), then for every condition
and every harmonised outcome of the common questionnaire (6 months against baseline):

1. *Observed*: the providers' (and practices') positions in the published summary, and how
   many are flagged outside the 95% and 99.8% limits. The synthetic generator builds in real
   provider differences (surveys/synthetic.py ``ProviderProfile.effect``: the hub better, RHA
   worse, RK5 average), so a flag on a provider with a built-in effect in that direction is a
   real difference found.
2. *Null*: the same cells (providers, case-mix, baselines and n exactly as observed) with
   follow-up scores simulated from the fitted case-mix model plus normal residuals, with no
   provider or practice effect at all, run through the very code that publishes the flags
   (``grouped_rows`` → ``add_funnels``); ``--reps`` times. The share flagged is the false alarm
   rate, which should be at most the nominal 5% (95%) and 0.2% (99.8%).

Prints Markdown for docs/methods.md §4. Synthetic data only; the database is scratch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database", default=str(Path(tempfile.gettempdir()) / "proms-funnel-flags.sqlite3")
    )
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--demo", action="store_true", help="demo_setup's population instead")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"sqlite:///{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
    os.environ.setdefault("PROMS_DEMO", "1")  # demo_setup refuses to run otherwise
    import django

    django.setup()
    from django.core.management import call_command

    if not args.skip_load:
        Path(args.database).unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
        if args.demo:
            call_command("demo_setup", verbosity=0)
        else:
            call_command(
                "generate_population",
                patients=args.patients,
                seed=args.seed,
                today=dt.date(2026, 12, 1),
                verbosity=0,
            )
    run(args.reps, args.seed)


def run(reps: int, seed: int) -> None:
    from analytics.summaries import OutcomeQuery, measure_resolve
    from analytics.summaries.cells import Cell, _covariates, case_mix_model, paired_cells
    from analytics.summaries.comparison import add_funnels, grouped_rows
    from outcomes import statistics as st
    from outcomes.loading import catalogue
    from surveys.synthetic import PROVIDERS

    effects = {p.ods_code: p.effect for p in PROVIDERS}
    definitions = catalogue()
    conditions = sorted({p.condition for p in definitions.pathways.values()})
    spec = definitions.instrument("mskt-core")
    outcomes = sorted({rule.outcome for rule in spec.harmonisation})
    rng = random.Random(seed)
    observed: Counter = Counter()
    null: Counter = Counter()
    for group_by in ("provider", "practice"):
        for condition in conditions:
            for outcome in outcomes:
                query = OutcomeQuery(
                    condition=condition,
                    measure=measure_resolve(outcome=outcome),
                    group_by=group_by,
                )
                cells = paired_cells(query, by_practice=group_by == "practice")
                if group_by == "practice":
                    cells = [c for c in cells if c.key["practice_id"] is not None]
                model = case_mix_model(cells)
                if model is None:
                    continue
                rows = grouped_rows(
                    cells, query.measure, model, group_by, adjust=True, series=False
                )
                dispersion = add_funnels(rows, model, query.measure, f"{group_by}s")
                applied = dispersion["all"].get("adjusted_change", {}).get("applied")
                observed[(group_by, "overdispersion applied")] += bool(applied)
                observed[(group_by, "measures")] += 1
                for row in rows:
                    if row.get("funnel_position") is None:
                        continue
                    observed[(group_by, "positions")] += 1
                    observed[(group_by, "outside_95")] += row["outside_95"]
                    observed[(group_by, "outside_998")] += row["outside_998"]
                    if group_by == "provider":
                        effect = effects.get(row["provider"], 0.0)
                        if abs(effect) >= 0.02:
                            observed[("provider", "real")] += 1
                            direction = "above" if effect > 0 else "below"
                            observed[("provider", "real found")] += row[
                                "funnel_position"
                            ].startswith(direction)
                for _ in range(reps):
                    simulated = [
                        _null_cell(cell, model, rng, _covariates, Cell, st) for cell in cells
                    ]
                    sim_model = case_mix_model(simulated)
                    if sim_model is None:
                        continue
                    sim_rows = grouped_rows(
                        simulated, query.measure, sim_model, group_by, adjust=True, series=False
                    )
                    add_funnels(sim_rows, sim_model, query.measure, f"{group_by}s")
                    for row in sim_rows:
                        if row.get("funnel_position") is None:
                            continue
                        null[(group_by, "positions")] += 1
                        null[(group_by, "outside_95")] += row["outside_95"]
                        null[(group_by, "outside_998")] += row["outside_998"]
    print(
        "| units | measures | positions | flagged 95% | flagged 99.8% "
        "| null: flagged 95% | null: flagged 99.8% | limits widened (τ) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for group_by in ("provider", "practice"):
        seen = {key: observed[(group_by, key)] for key in ("outside_95", "outside_998")}
        positions = observed[(group_by, "positions")] or 1
        null_positions = null[(group_by, "positions")] or 1
        cells = [
            f"{group_by}s",
            str(observed[(group_by, "measures")]),
            str(observed[(group_by, "positions")]),
            *(f"{seen[k]} ({100 * seen[k] / positions:.1f}%)" for k in seen),
            *(f"{100 * null[(group_by, k)] / null_positions:.2f}%" for k in seen),
            f"{observed[(group_by, 'overdispersion applied')]} of "
            f"{observed[(group_by, 'measures')]}",
        ]
        print("| " + " | ".join(cells) + " |")
    real = observed[("provider", "real")] or 1
    print(
        f"\nProvider positions with a built-in effect (|effect| ≥ 0.02): {real}; flagged in the "
        f"direction of the effect: {observed[('provider', 'real found')]} "
        f"({100 * observed[('provider', 'real found')] / real:.0f}%). Null simulation: {reps} "
        "replicates per measure."
    )


def _null_cell(cell, model, rng, covariates, cell_class, st):
    """The cell's patients again: baselines drawn around the cell's mean and SD, follow-up
    from the fitted model (no provider or practice term) plus a normal residual."""
    sums = cell.sums
    mean_b = sums.sum_b / sums.n
    sd_b = max((sums.sum_bb / sums.n - mean_b * mean_b), 0.0) ** 0.5
    pairs = []
    for _ in range(sums.n):
        b = rng.gauss(mean_b, sd_b)
        if cell.key["imd_quintile"] is None:
            f = b + model.mean_change + rng.gauss(0, model.residual_sd)
        else:
            f = model.predict(covariates(cell), b) + rng.gauss(0, model.residual_sd)
        pairs.append((b, f))
    return cell_class(key=cell.key, sums=st.CellSums.of(pairs))


if __name__ == "__main__":
    main()
