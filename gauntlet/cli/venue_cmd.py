"""`gauntlet venue certify`: the venue conformance kit from the command line (issue 12)."""
