"""`ks-gui status`: the sorts this launcher started that are still running or ended unseen, and `--attach` to
follow them (and record how they ended)."""

from __future__ import annotations

import argparse
import sys

from ks_gui.cli.common import EXIT_FAILED, EXIT_OK, BadInputError, print_json
from ks_gui.core import sorting
from ks_gui.core.events import Outcome
from ks_gui.core.results import history

NAME = "status"


def add_parser(commands: argparse._SubParsersAction) -> None:
    status = commands.add_parser(
        NAME,
        help="sorts still running or ended unseen",
        description="List the sorts this launcher started that "
        "are still running, or ended while no launcher followed them.",
    )
    status.add_argument(
        "--attach",
        action="store_true",
        help="follow each of them until it ends and record its result (ended ones at once)",
    )
    status.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    found, unreachable = sorting.earlier_runs_everywhere()
    if len(unreachable) == len(sorting.places_with_earlier_runs()):
        raise BadInputError(*unreachable)
    for message in unreachable:  # the others are listed; this one is said
        print(f"ks-gui: {message}", file=sys.stderr)
    for path in history.unreadable_records():
        print(f"ks-gui: the run record {path} cannot be read (damaged); its sort is left out", file=sys.stderr)
    runs = [
        {
            "job_id": f.job_id,
            "output": f.output,
            "state": "running" if f.running else "ended unseen",
            "container": f.id[:12],
            "place": f.place,
        }
        for f in found
    ]
    outcomes: list[Outcome] = []
    if args.attach:
        for container in found:
            sort = sorting.follow_found(sorting.open_place(container.place), container)
            outcome = next(e for e in sort.events() if isinstance(e, Outcome))
            outcomes.append(outcome)
    if args.json:
        print_json(
            {
                "runs": runs,
                "outcomes": [
                    {"output": str(o.output), "succeeded": o.succeeded, "summary": o.summary()} for o in outcomes
                ],
            }
        )
    else:
        if not runs:
            print("No sort is running, and none ended unseen.")
        for item in runs:
            where = "" if item["place"] == sorting.DEFAULT_PLACE else f"  (on {sorting.place_title(item['place'])})"
            print(f"{item['job_id']}  {item['state']:<13} {item['output']}{where}")
        for outcome in outcomes:
            print(outcome.summary())
    return EXIT_FAILED if any(not o.succeeded for o in outcomes) else EXIT_OK
