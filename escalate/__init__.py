"""escalate: turn a ChatGPT failure into a complete, private support submission."""

__version__ = "0.1.0"
