"""Exit statuses of the contract: 0 conformant, 1 a gating requirement failed, others: problems."""

OK = 0
NOT_CONFORMANT = 1
INTERRUPTED = 2  # pytest's own: Ctrl-C
INTERNAL = 3  # pytest's own code, and ours for a bug of the suite (a probe crashed, a writer failed)
USAGE = 4  # pytest's own: a wrong option
NO_TESTS = 5  # pytest's own: nothing collected
UNREACHABLE = 6  # the target could not be reached (refused, DNS, TLS, timeout)
INCOMPLETE = 7  # no requirement failed, but some could not be checked (errors, budget spent, waits spent)

# One phrase per status, for the Markdown summary a CI page shows.
MEANING = {
    OK: "every gating requirement held",
    NOT_CONFORMANT: "a gating requirement failed",
    INTERRUPTED: "the run was interrupted (Ctrl-C or SIGTERM)",
    INTERNAL: "internal error: a bug of the suite, not a verdict on the target",
    USAGE: "usage error",
    NO_TESTS: "no probe was collected",
    UNREACHABLE: "the target could not be reached",
    INCOMPLETE: "some requirements could not be checked",
}
