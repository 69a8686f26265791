"""The ``gradsheet`` command: ``gradsheet tour`` runs the executable cheat sheet."""
import argparse
import sys


def _tour(args):
    from . import tour
    tour.run(sections=args.section, quick=args.quick, seed=args.seed, out=args.out,
             verbose=0 if args.no_progress else 1)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="gradsheet", description="The deep-learning cheat sheet made executable.")
    commands = parser.add_subparsers(dest="command", required=True)
    tour = commands.add_parser("tour", help="run the cheat sheet's sections and report the figures")
    from .tour import SECTIONS
    tour.add_argument("--section", action="append", choices=sorted(SECTIONS),
                      help="run only this section (repeatable)")
    tour.add_argument("--quick", action="store_true", help="shorter training runs")
    tour.add_argument("--seed", type=int, default=0)
    tour.add_argument("--out", default="tour-report", help="folder for results.json")
    tour.add_argument("--no-progress", action="store_true", help="hide progress bars")
    tour.set_defaults(run=_tour)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError, ImportError) as error:
        print(f"gradsheet {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
