"""``python -m embedsdk`` runs the CLI."""

from embedsdk.cli import main

raise SystemExit(main())
