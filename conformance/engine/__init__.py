"""The machinery that runs probes: the cases each runs with, valid and broken bodies, the
judgments, the workspace plan, Hypothesis runs and the probe registry (the probes themselves
are in conformance.probes)."""
