"""One module per verb: what `infra <verb>` does. cli.py only parses and dispatches here."""
