"""Scrubbing: text redaction, normalisation before matching, HAR sanitising."""
