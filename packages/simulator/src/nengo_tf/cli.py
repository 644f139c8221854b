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
    digits = commands.add_parser(
        "digits", help="train a spiking convolutional network on digits (the main job)"
    )
    digits.add_argument("--out", default="outputs", help="folder for the plot and parameters")
    digits.add_argument("--epochs", type=int, default=8)
    digits.add_argument("--steps", type=int, default=60, help="spiking steps per test image")
    digits.add_argument("--train", type=int, default=None, help="use only this many digits")
    digits.add_argument("--seed", type=int, default=0)
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
    elif args.command == "digits":
        from .examples.digits import run

        run(args.epochs, args.steps, n_train=args.train, out_dir=args.out, seed=args.seed)


if __name__ == "__main__":
    main()
