"""`python -m flowpop`: the `flowpop` command (flowpop_cli.main), for when the script is not on PATH."""

from flowpop_cli.main import main

if __name__ == "__main__":
    main()
