"""workspace-conformance: certifies Create Workspace endpoints against their documents."""

__version__ = "0.1.0"
