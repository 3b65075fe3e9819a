"""Backtest the volume forecast (issue 20) on the demo city's history, beside a seasonal-naive baseline.

    .venv/bin/python benchmarks/forecasts.py
    .venv/bin/python benchmarks/forecasts.py --requests 60000 --var-dir /tmp/fc-bench --keep   # then reuse it

Never touches the app's database: it works in its own SQLite database in a throw-away folder
(CIVIC311_VAR_DIR; DATABASE_URL is ignored), or in --var-dir, whose demo city is reused when it already has a
history. It builds the demo city (neighborhoods, catalogue, staff, holidays and --requests requests of
history over --days days, seed --seed), then holds out the last --holdout-weeks weeks (8) and forecasts them:

- rolling: each week of the holdout is forecast from the history up to the day before it (the model refitted
  weekly, as the nightly run would), beside the seasonal-naive baseline from the same origin (each day gets
  the count of the same weekday the week before the origin);
- one shot: the whole holdout forecast from its first origin (the page's "next weeks"), beside the same
  baseline repeated.

Daily WAPE (the sum of absolute daily errors over the sum of daily counts) for all contacts, all requests,
each channel's contacts and each service's requests (and the services together, each series' errors
summed), with the targets (daily WAPE <= 12 % and better than the baseline) and the machine it ran on.
Deterministic: the same seed gives the same figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed_demo import cpu_model, in_own_folder

TARGET = 0.12


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=15_000, help="Requests of demo history (default 15,000).")
    parser.add_argument("--days", type=int, default=365, help="Days of demo history (default 365).")
    parser.add_argument("--seed", type=int, default=311)
    parser.add_argument("--holdout-weeks", type=int, default=8)
    parser.add_argument("--var-dir", type=Path, default=None, help="Work here (kept); default: a throw-away folder.")
    parser.add_argument("--keep", action="store_true", help="Keep the throw-away folder (its path is printed).")
    options = parser.parse_args()

    return in_own_folder(options, "civic311-forecast-bench-", run)


def _wape(actual: Sequence[float], forecast: Sequence[float]) -> float | None:
    from civic311.insights.forecasting import wape

    return wape(actual, forecast)


def _percent(value: float | None) -> str:
    return "   —  " if value is None else f"{100 * value:5.1f} %"


def evaluate(
    series: Mapping[dt.date, float], first: dt.date, origin: dt.date, last: dt.date, holidays: frozenset[dt.date]
) -> dict[str, tuple[list[float], list[float]]]:
    """(actual, forecast) over the holdout for: rolling model, rolling baseline, one-shot model, one-shot baseline."""
    from civic311.insights import forecasting

    holdout = forecasting.days_between(origin + dt.timedelta(days=1), last)
    actual = [float(series.get(day, 0)) for day in holdout]
    rolling: list[float] = []
    rolling_naive: list[float] = []
    week_origin = origin
    while week_origin < last:
        week = forecasting.days_between(
            week_origin + dt.timedelta(days=1), min(last, week_origin + dt.timedelta(days=7))
        )
        rolling.extend(f.expected for f in forecasting.forecast_series(series, first, week_origin, week, holidays))
        rolling_naive.extend(forecasting.seasonal_naive(series, week_origin, week))
        week_origin += dt.timedelta(days=7)
    one_shot = [f.expected for f in forecasting.forecast_series(series, first, origin, holdout, holidays)]
    naive = forecasting.seasonal_naive(series, origin, holdout)
    return {
        "rolling": (actual, rolling),
        "rolling baseline": (actual, rolling_naive),
        "one shot": (actual, one_shot),
        "one-shot baseline": (actual, naive),
    }


def run(options: argparse.Namespace, var_dir: Path) -> int:
    import django

    django.setup()
    logging.getLogger("civic311").setLevel(logging.WARNING)
    import numpy
    import pandas
    import statsmodels
    from django.core.management import call_command
    from django.utils import timezone

    from civic311.catalogue.models import Service
    from civic311.demo import services as demo
    from civic311.insights import forecast_services
    from civic311.jurisdictions.models import Holiday
    from civic311.service_requests.models import Contact, ServiceRequest

    call_command("migrate", verbosity=0)
    city = demo.demo_city()
    built = "reused"
    if city is None or not ServiceRequest.objects.filter(jurisdiction=city).exists():
        print(f"building the demo city with {options.requests:,} requests over {options.days} days …", file=sys.stderr)
        started = time.perf_counter()
        city = demo.create_jurisdiction()
        demo.load_neighborhoods(city)
        demo.load_catalogue(city)
        demo.create_staff(city)
        demo.generate_history(city, requests=options.requests, days=options.days, seed=options.seed)
        built = f"built in {time.perf_counter() - started:,.0f} s"

    today = timezone.localtime(timezone.now(), city.zone).date()
    last = today - dt.timedelta(days=1)
    origin = last - dt.timedelta(days=7 * options.holdout_weeks)
    holidays = frozenset(Holiday.objects.filter(jurisdiction=city).values_list("date", flat=True))
    started = time.perf_counter()
    results: dict[str, dict[str, dict[str, float | None]]] = {}
    pooled: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    counts = {}
    for kind in ("contacts", "requests"):
        history = forecast_services.read_history(city, kind, last - dt.timedelta(days=3 * 365), last)
        first = min(history.total)
        counts[kind] = sum(history.total.values())
        named: list[tuple[str, Mapping[dt.date, float]]] = [(f"all {kind}", history.total)]
        if kind == "contacts":
            named += [(f"  channel {channel}", series) for channel, series in sorted(history.by_channel.items())]
        else:
            names = dict(Service.objects.filter(jurisdiction=city).values_list("pk", "code"))
            busiest = sorted(history.by_service.items(), key=lambda item: -sum(item[1].values()))
            named += [(f"  service {names.get(pk, pk)}", series) for pk, series in busiest]
        for label, series in named:
            figures = evaluate(series, first, origin, last, holidays)
            results[label] = {
                method: {"wape": _wape(*pair), "actual": sum(pair[0])} for method, pair in figures.items()
            }
            if label.startswith("  service "):
                for method, (actual, forecast) in figures.items():
                    got = pooled.setdefault("  services together (each service's errors)", {}).setdefault(
                        method, ([], [])
                    )
                    got[0].extend(actual)
                    got[1].extend(forecast)
    for label, figures in pooled.items():
        results[label] = {method: {"wape": _wape(*pair), "actual": sum(pair[0])} for method, pair in figures.items()}
    seconds = time.perf_counter() - started

    print("Volume forecast backtest (issue 20)")
    print(f"machine:   {cpu_model()}, {os.cpu_count()} cores; {platform.system()} {platform.release()}")
    print(
        f"software:  Python {platform.python_version()}, statsmodels {statsmodels.__version__}, "
        f"pandas {pandas.__version__}, numpy {numpy.__version__}; SQLite"
    )
    print(
        f"history:   demo city, {ServiceRequest.objects.filter(jurisdiction=city).count():,} requests and "
        f"{Contact.objects.filter(jurisdiction=city).count():,} contacts, {options.days} days, "
        f"seed {options.seed} ({built})"
    )
    print(
        f"holdout:   the last {options.holdout_weeks} weeks, {origin + dt.timedelta(days=1)} to {last} "
        f"(holidays in it: {', '.join(str(d) for d in sorted(holidays) if origin < d <= last) or 'none'})"
    )
    print(f"fitting:   {seconds:.1f} s for every series and origin")
    print()
    print("Daily WAPE: rolling = refitted each week, forecasting its 7 days; one shot = all weeks from one origin")
    header = f"{'series':<46}{'daily mean':>11}  {'rolling':>8}  {'baseline':>8}  {'one shot':>8}  {'baseline':>8}"
    print(header)
    print("-" * len(header))
    days = 7 * options.holdout_weeks
    shown_services = 0
    for label, figures in results.items():
        if label.startswith("  service "):
            shown_services += 1
            if shown_services > 10:
                continue
        print(
            f"{label:<46}{figures['rolling']['actual'] / days:>11.1f}  {_percent(figures['rolling']['wape']):>8}  "
            f"{_percent(figures['rolling baseline']['wape']):>8}  {_percent(figures['one shot']['wape']):>8}  "
            f"{_percent(figures['one-shot baseline']['wape']):>8}"
        )
    if shown_services > 10:
        print(f"  ({shown_services - 10} quieter services not shown; they are in 'services together')")
    print()
    ok = True
    for kind in ("contacts", "requests"):
        figures = results[f"all {kind}"]
        model, baseline = figures["rolling"]["wape"], figures["rolling baseline"]["wape"]
        passed = model is not None and model <= TARGET and (baseline is None or model < baseline)
        ok &= passed
        print(
            f"target {kind}: daily WAPE {_percent(model)} <= {TARGET:.0%} and better than the baseline "
            f"{_percent(baseline)}: {'PASS' if passed else 'FAIL'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
