"""Exit statuses of the contract: 0 conformant, 1 a gating requirement failed, others: problems."""
OK = 0
NOT_CONFORMANT = 1
INTERRUPTED = 2     # pytest's own: Ctrl-C
INTERNAL = 3        # pytest's own code, and ours for a bug of the suite (a probe crashed, a writer failed)
USAGE = 4           # pytest's own: a wrong option
NO_TESTS = 5        # pytest's own: nothing collected
UNREACHABLE = 6     # the target could not be reached (refused, DNS, TLS, timeout)
INCOMPLETE = 7      # no requirement failed, but some could not be checked (errors, budget spent)
