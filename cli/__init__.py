"""flowpop command line (installed as flowpop_cli)."""
