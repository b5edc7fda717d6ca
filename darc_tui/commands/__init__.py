"""The sub-commands, one module each: `add_parser(sub)` registers its argparse sub-parser and
`run(args) -> int` runs it (0 ok, 1 causes found or the action failed, 2 usage or config error).

Top-level imports here are the standard library only, so `darc-tui --help` stays cheap; each `run`
imports the machinery it needs. `darc_tui.cli` lists the modules in one tuple and dispatches them
one way.
"""
