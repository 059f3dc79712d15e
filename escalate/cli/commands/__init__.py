"""One module per command group; each exposes handlers that take a Console and parsed arguments."""
