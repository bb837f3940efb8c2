"""Command-line interface (top layer)."""
