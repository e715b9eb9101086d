"""Acceptance-style matching data built from the departments exchange formats only."""
