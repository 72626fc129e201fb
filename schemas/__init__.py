"""The providers as data: one folder per provider, read by conformance.model.profile."""
