"""The defaults of the user contract's numbers, in a leaf every layer may read (the options
themselves are parsed in conformance.settings)."""

DEFAULT_EXAMPLES = 20  # Hypothesis examples per generated probe
DEFAULT_MAX_CREATES = 32  # workspaces a run may ask the target to create (conformance.engine.creates)
DEFAULT_MAX_WAIT = 30.0  # seconds a run may wait on a rate-limiting target, in all (run-wide under xdist)
DEFAULT_REQUEST_TIMEOUT = 10.0  # seconds each request may take as a whole
