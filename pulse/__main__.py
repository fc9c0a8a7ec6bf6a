"""`python -m pulse ...`: the `pulse` command without its console script."""

from pulse.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
