"""One module per ``codegpt`` subcommand: HELP, add_arguments(parser), run(args) -> exit code."""
