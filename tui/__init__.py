"""flowpop console (installed as flowpop_tui)."""
