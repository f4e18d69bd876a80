"""Running methods on a problem: the orchestrator, auto, multistart."""
