"""``python -m simsocial`` is the ``simsocial`` command (for environments where the script is not on PATH)."""

from simsocial.cli.main import cli

if __name__ == "__main__":
    cli()
