"""``nengo-tf``: the command line."""

import argparse


def main(argv=None):
    parser = argparse.ArgumentParser(prog="nengo-tf", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="simulate a controlled oscillator with nengo-tf and nengo, compare, plot"
    )
    demo.add_argument("--out", default="outputs", help="folder for the plot")
    demo.add_argument("--seconds", type=float, default=3.0, help="simulated time per run")
    demo.add_argument("--neurons", type=int, default=600, help="neurons in the oscillator")
    commands.add_parser(
        "bench", help="benchmark standard models against nengo.Simulator", add_help=False
    )
    args, rest = parser.parse_known_args(argv)

    if args.command == "bench":
        from .benchmarks import main as bench_main

        bench_main(rest)
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    elif args.command == "demo":
        from .demo import main as demo_main

        demo_main(args.out, args.seconds, args.neurons)


if __name__ == "__main__":
    main()
