"""`python -m livedoc` runs the command line."""

from livedoc.cli import main

raise SystemExit(main())
