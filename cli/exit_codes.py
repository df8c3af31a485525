"""Exit codes shared by every subcommand, so scripts can rely on them."""

OK = 0
PROBLEMS_FOUND = 1
USAGE_ERROR = 2
# The reader of stdout went away (``| head``): what a shell reports for a process that SIGPIPE
# ended, as for cat or grep.
BROKEN_PIPE = 128 + 13
