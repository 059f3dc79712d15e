"""What escalate finds out itself: environment, browsers, status page, identity, triage."""
