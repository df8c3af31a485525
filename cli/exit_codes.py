"""Exit codes shared by every subcommand, so scripts can rely on them."""

OK = 0
PROBLEMS_FOUND = 1
USAGE_ERROR = 2
