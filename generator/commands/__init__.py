"""One module per subcommand: each defines HELP, configure(parser) and run(args) -> int."""
