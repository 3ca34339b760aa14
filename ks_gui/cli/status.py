"""`ks-gui status`: the sorts this launcher started that are still running or ended unseen, and `--attach` to
follow them (and record how they ended)."""

from __future__ import annotations

import argparse

from ks_gui.cli.common import EXIT_FAILED, EXIT_OK, BadInputError, print_json
from ks_gui.core import sorting
from ks_gui.core.events import Outcome

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
    try:
        place = sorting.open_place("docker")
        found = sorting.earlier_runs(place)
    except sorting.PlaceError as err:
        raise BadInputError(err.message) from err
    runs = [
        {
            "job_id": f.job_id,
            "output": f.output,
            "state": "running" if f.running else "ended unseen",
            "container": f.id[:12],
        }
        for f in found
    ]
    outcomes: list[Outcome] = []
    if args.attach:
        for container in found:
            sort = sorting.follow_found(place, container)
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
            print(f"{item['job_id']}  {item['state']:<13} {item['output']}")
        for outcome in outcomes:
            print(outcome.summary())
    return EXIT_FAILED if any(not o.succeeded for o in outcomes) else EXIT_OK
