"""Rendering: Markdown from the Jinja template, PDF from that Markdown."""
